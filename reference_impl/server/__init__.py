"""Reference SERVER for Background Resource Upload: resumable uploads (interop 3, 5, 6, 7, 8) on loopback.

The system uploads each photo with the IETF "Resumable Uploads for HTTP" draft; this package is a
server that follows the drafts (see `versions.py` for what each interop version changes) so the
suite's server checks can be shown to pass on a correct server and, through the fault switches of
`ServerConfig`, to fail on each kind of broken one.

    with running_server(ServerConfig(interop_versions=(8,))) as (base_url, server):
        ...  # drive it with bru_conformance.scenario.probe.Probe(base_url)
        server.uploads     # id -> UploadView (data, complete, cancelled, ...)
        server.exchanges   # the requests it saw and what it answered
"""

from .config import APPLE_EXAMPLE_LIMIT, FAULT_SWITCHES, ServerConfig
from .server import UploadServer, running_server
from .store import UploadView
from .versions import RULES, SUPPORTED_VERSIONS, VersionRules

__all__ = [
    "APPLE_EXAMPLE_LIMIT",
    "FAULT_SWITCHES",
    "RULES",
    "SUPPORTED_VERSIONS",
    "ServerConfig",
    "UploadServer",
    "UploadView",
    "VersionRules",
    "running_server",
]
