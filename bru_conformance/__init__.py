"""bru-conformance: the conformance suite for PhotoKit's Background Resource Upload protocol.

The harness, in layers; each package's docstring says what it owns and which packages of
bru_conformance it may import, and `tests/test_layering.py` holds every import (function-level ones
included) to those lines:

* the model, this package's own modules: role contracts (`contracts`), protocol value types
  (`protocol`), API and interop profiles (`profiles`), assumption switches (`assumptions`), the bundled
  JSON Schemas (`schemas`), where bundled data lives (`resources`), `__version__` here, and the one
  door to the reference implementation and the step definitions (`reference`). These are the import
  paths adapter authors use.
* `catalogue` (the rules in the feature files), `scenario` (one scenario's world and its evidence),
  `adapters` (loading and speaking to the implementation under test), `reporting` (results and
  reports), `run` (the pytest plugin and the runner), `proving` (exploration, counterexamples,
  mutation), `bench` (benchmarks), `suite` (the pytest module that binds the feature files).
* the command line, `cli` and `__main__` (its own line in `cli`).

May import: model
"""

__version__ = "0.1.0"
