"""pytest-bdd step definitions of the conformance suite, loaded as pytest plugins by the runner.

One vocabulary (steps.vocabulary) for every feature file. Steps talk only to the role contracts through
the `world` fixture; `bru-conformance steps` prints every pattern with its docstring and location.
"""

_AREAS = ("consent", "errors", "versions", "creation", "limits", "states", "retry", "acknowledge", "cancel",
          "processing", "termination", "network")
MODULES = ("steps.setup_steps", "steps.job_steps", "steps.app_steps", *(f"steps.{a}_steps" for a in _AREAS))
