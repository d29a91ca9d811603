"""SERVER controls: compliant servers that choose differently from the reference (docs/server-rules.md).

Each must come out conformant in every interop version it declares: a failure is a check that demands
the reference server's own choices (its path layout, its HEAD status, its lack of a size cap, ...).
"""

from __future__ import annotations

from .. import ServerVariant
from . import register

R = "server"


def _control(name: str, allowed_by: str, description: str, config: dict[str, object],
             interop: tuple[int, ...] | None = None) -> None:
    variant = type(f"Server_{name}", (ServerVariant,), {"CONFIG": config, **({"INTEROP": interop} if interop else {}),
                                                         "__doc__": description})
    register(name, R, allowed_by, description)(variant)


_control("server_interop_6_only", "a server declares the interop versions it implements (issue 14; AMB-36)",
         "implements only interop 6 and declares only 6", {"interop_versions": (6,)}, (6,))
_control("server_old_drafts_only", "interop 3 and 5 are drafts a server may still serve (docs/server-rules.md)",
         "implements only interop 3 and 5", {"interop_versions": (3, 5)}, (3, 5))
_control("server_head_200", "from interop 5 offset retrieval may answer 200 or 204 (NET-24)",
         "answers offset retrieval 200 instead of 204", {"head_status": 200})
_control("server_capped", "a server may cap upload size with max-size (LIM-07, NET-12)",
         "announces and enforces max-size=10000000", {"max_size": 10_000_000})
_control("server_without_delete", "cancellation is the server's offer: NET-30 checks only an accepted DELETE",
         "refuses DELETE with 405", {"allow_delete": False})
_control("server_other_paths", "the Location is the server's to choose (NET-16)",
         "names its uploads under /files/ with another id header", {"resource_prefix": "/files/", "server_id_header": "X-Upload-Id"})
