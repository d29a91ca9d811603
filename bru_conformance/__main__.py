"""`python -m bru_conformance`: the command line (`cli`)."""

from bru_conformance.cli import entry

entry()
