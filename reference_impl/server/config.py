"""`ServerConfig`: what the reference server implements, and the fault switches that break it on purpose.

A conformance check for servers is only trusted if it fails on a server that misbehaves in the way
the check names, so every known server bug the suite looks for has a switch here. All switches are
off by default: the default server follows the drafts for the interop versions it serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .versions import SUPPORTED_VERSIONS

# Apple's article example answers a preflight with about 100 GiB; used for `bare_integer_limit` when
# the server has no limit of its own (the fault needs some integer to send bare).
APPLE_EXAMPLE_LIMIT = 107374182400

FAULT_SWITCHES: dict[str, str] = {
    "early_final": "send the final 201 before reading the body; store nothing",
    "no_interop_in_104": "the 104 lacks Upload-Draft-Interop-Version",
    "bare_integer_limit": "Upload-Limit is a bare Integer (Apple's article example), not a Dictionary",
    "drop_mid_body": "close the connection after N body bytes of a creation request (int, None = off)",
    "decreasing_offset": "each HEAD after the first reports less than the previous HEAD did",
    "modify_completed": "append to an upload already completed instead of rejecting it",
    "no_104": "never send the 104, even for a known interop version",
    "wrong_location_on_final": "the final response's Location differs from the 104's",
    "store_past_length": "keep bytes past the declared Upload-Length and accept the request",
    "no_limit_in_104": "the 104 lacks Upload-Limit (required from interop 8)",
    "head_without_no_store": "offset retrieval lacks Cache-Control: no-store",
    "conflict_without_offset": "an offset mismatch is answered 409 without Upload-Offset",
    "accept_offset_on_creation": "a creation carrying Upload-Offset is accepted instead of refused",
    "ignore_concurrency": "a new request on an upload does not terminate the transfer still running",
    "headers_only_on_creation": "the server's own response headers (X-Server-Id) are sent on a one-request upload's "
                                "final response but not on a completing append's",
    "preflight_without_limit": "OPTIONS is answered 200 without Upload-Limit",
    "preflight_501": "OPTIONS is answered 501 although interop versions are served (uploads stay resumable)",
    "preflight_needs_interop": "an OPTIONS without Upload-Draft-Interop-Version is answered 501",
    "resumable_without_interop": "a creation without the interop header (and completion field) is served as a "
                                 "resumable interop-8 upload: 104, Location and all",
    "incomplete_answered_200": "a creation that does not complete the upload is answered 200 without the "
                               "completion field that marks it incomplete",
    "ignore_length_mismatch": "a complete creation whose Upload-Length disagrees with its body is accepted",
    "cut_reported_complete": "offset retrieval of an incomplete upload reports it complete",
    "head_redirects_unknown": "offset retrieval of an unknown upload is answered 301 with a Location, not 404",
    "append_not_marked_complete": "the append that completes an upload does not say so (up to interop 6 no "
                                  "Upload-Offset; from 7 Upload-Complete: ?0)",
    "delete_ignored": "DELETE is answered 204 but the upload stays active",
    "ignore_max_size": "a creation longer than max_size is accepted (the preflight still announces max-size)",
    "offset_as_string": "every Upload-Offset sent is a Structured-Fields String, not an Integer",
}


@dataclass(frozen=True)
class ServerConfig:
    """How the reference resumable-upload server behaves.

    `interop_versions` are the versions served resumably; a request with another version, or none,
    is served as a plain upload (no 104, no upload resource). `max_size=None` means no limit
    (`Upload-Limit: min-size=0`). `head_status` is used for offset retrieval from interop 5 on
    (3 always answers 204). `preflight_status_unsupported` is what OPTIONS answers when no version
    is served: 501 is Apple's article's convention, not the drafts'.
    """

    interop_versions: tuple[int, ...] = SUPPORTED_VERSIONS
    max_size: int | None = None
    server_id_header: str = "X-Server-Id"
    resource_prefix: str = "/upload/"
    head_status: int = 204
    allow_delete: bool = True
    preflight_status_unsupported: int = 501
    io_timeout: float = 10.0
    # fault switches (see FAULT_SWITCHES)
    early_final: bool = False
    no_interop_in_104: bool = False
    bare_integer_limit: bool = False
    drop_mid_body: int | None = None
    decreasing_offset: bool = False
    modify_completed: bool = False
    no_104: bool = False
    wrong_location_on_final: bool = False
    store_past_length: bool = False
    no_limit_in_104: bool = False
    head_without_no_store: bool = False
    conflict_without_offset: bool = False
    accept_offset_on_creation: bool = False
    ignore_concurrency: bool = False
    headers_only_on_creation: bool = False
    preflight_without_limit: bool = False
    preflight_501: bool = False
    preflight_needs_interop: bool = False
    resumable_without_interop: bool = False
    incomplete_answered_200: bool = False
    ignore_length_mismatch: bool = False
    cut_reported_complete: bool = False
    head_redirects_unknown: bool = False
    append_not_marked_complete: bool = False
    delete_ignored: bool = False
    ignore_max_size: bool = False
    offset_as_string: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # extra headers on every final response

    def __post_init__(self) -> None:
        unknown = [v for v in self.interop_versions if v not in SUPPORTED_VERSIONS]
        if unknown:
            raise ValueError(f"interop versions {unknown} not implemented (have {list(SUPPORTED_VERSIONS)})")
        if self.head_status not in (200, 204):
            raise ValueError("head_status must be 200 or 204")

    @property
    def faults(self) -> dict[str, object]:
        """The fault switches that are on."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in FAULT_SWITCHES and getattr(self, f.name) not in (False, None)}

    def with_fault(self, name: str, value: object = True) -> ServerConfig:
        if name not in FAULT_SWITCHES:
            raise KeyError(f"unknown fault switch {name!r}")
        return replace(self, **{name: value})
