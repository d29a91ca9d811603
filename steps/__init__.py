"""pytest-bdd step definitions of the conformance suite, loaded as pytest plugins by the runner.

One vocabulary (steps.vocabulary) for every feature file. Steps talk only to the role contracts through
the `world` fixture; `bru-conformance steps` prints every pattern with its docstring and location.
"""

MODULES = ("steps.setup_steps", "steps.job_steps", "steps.app_steps")
