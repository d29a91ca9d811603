"""pytest-bdd step definitions of the conformance suite, loaded as pytest plugins by the runner.

One vocabulary (steps.vocabulary) for every feature file. Steps talk only to the role contracts through
the `world` fixture; `bru-conformance steps` prints every pattern with its docstring and location.
"""

_AREAS = ("consent", "errors", "versions", "creation", "limits", "states", "retry", "acknowledge", "cancel",
          "processing", "termination", "network")
# by this package's own name: `steps` in a source checkout, `bru_conformance.steps` in an installed wheel
MODULES = tuple(f"{__name__}.{m}" for m in ("setup_steps", "job_steps", "app_steps", *(f"{a}_steps" for a in _AREAS)))
