"""Placeholder: filled in by the controls work (issue 10)."""
