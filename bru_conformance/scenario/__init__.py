"""One scenario's world and its evidence: the `World` that builds the SYSTEM, APP and environment of a
scenario (`world`) or the SERVER probe's (`server_world`), the harness's own boundary trace (`trace`) and
what is read from it (`observe`), the HTTP probe of an upload server (`probe`), and redaction of secrets
from everything recorded (`redact`). The step definitions and the exploration machines act through it.

May import: model
"""
