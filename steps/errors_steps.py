"""Steps specific to the errors feature; shared wording lives in setup_steps, job_steps and app_steps."""

from __future__ import annotations
