"""bru-conformance: the conformance suite for PhotoKit's Background Resource Upload protocol.

The harness package: role contracts (`contracts`), protocol value types (`protocol`), API profiles,
assumption switches, the trace recorder, the catalogue extracted from `features/`, the pytest plugin
that runs the scenarios, results and the CLI.
"""

__version__ = "0.1.0"
