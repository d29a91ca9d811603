"""SERVER mutants: the reference upload server with one fault switch on (reference_impl.server.config).

Each breaks one thing a server teams gets wrong in practice (an early 201 before the body, a 104 a draft
client ignores, Apple's bare-integer Upload-Limit, an offset that goes down, ...) and names the NET rule
whose scenarios must catch it. They run through the ordinary path: `--adapter reference_impl.mutants:<name>
--role server`, probed over real HTTP on loopback, in every interop version.
"""

from __future__ import annotations

from .. import ServerVariant
from . import register

R = "server"


def _fault(name: str, rules: str | tuple[str, ...], description: str, config: dict[str, object],
           interop: tuple[int, ...] | None = None) -> None:
    variant = type(f"Server_{name}", (ServerVariant,), {"CONFIG": config, **({"INTEROP": interop} if interop else {}),
                                                         "__doc__": description})
    register(name, R, rules, description)(variant)


_fault("server_early_final", "NET-17", "answers 201 before reading the body and stores nothing", {"early_final": True})
_fault("server_drops_mid_body", "NET-17", "closes every creation after 1000 body bytes", {"drop_mid_body": 1000})
_fault("server_no_interop_in_104", "NET-14", "its 104 lacks Upload-Draft-Interop-Version (Apple's article example)",
       {"no_interop_in_104": True})
_fault("server_bare_integer_limit", ("NET-11", "NET-32"), "Upload-Limit is a bare Integer (Apple's article example)",
       {"bare_integer_limit": True})
_fault("server_decreasing_offset", "NET-22", "each offset retrieval reports less than the one before", {"decreasing_offset": True})
_fault("server_modifies_completed", "NET-28", "appends to an upload it already completed", {"modify_completed": True})
_fault("server_no_104", ("NET-06", "NET-08"), "never sends the 104", {"no_104": True})
_fault("server_wrong_location_on_final", "NET-16", "its final response names another Location than its 104",
       {"wrong_location_on_final": True})
_fault("server_stores_past_length", "NET-29", "keeps bytes past the announced Upload-Length", {"store_past_length": True})
_fault("server_no_limit_in_104", "NET-14", "its 104 lacks Upload-Limit (required from interop 8)", {"no_limit_in_104": True})
_fault("server_cacheable_offset", "NET-24", "offset retrieval lacks Cache-Control: no-store", {"head_without_no_store": True})
_fault("server_conflict_without_offset", "NET-27", "answers a wrong append offset 409 without Upload-Offset",
       {"conflict_without_offset": True})
_fault("server_accepts_offset_on_creation", "NET-20", "accepts a creation carrying Upload-Offset", {"accept_offset_on_creation": True})
_fault("server_ignores_concurrency", "NET-23", "lets a stale half-open creation complete after handing out an offset",
       {"ignore_concurrency": True})
_fault("server_headers_only_on_creation", "NET-31", "its own headers (X-Server-Id) are missing on a completing append",
       {"headers_only_on_creation": True})
_fault("server_preflight_without_limit", "NET-03", "answers the preflight 200 without Upload-Limit", {"preflight_without_limit": True})
_fault("server_preflight_501", "NET-04", "answers the preflight 501 although it serves resumable uploads", {"preflight_501": True})
_fault("server_preflight_needs_interop", "NET-13", "answers a preflight without the interop version 501", {"preflight_needs_interop": True})
_fault("server_resumable_without_interop", "NET-15", "treats a creation without an interop version as interop 8 and sends a 104",
       {"resumable_without_interop": True})
_fault("server_incomplete_answered_200", "NET-18", "answers an incomplete creation 200 without the incomplete marker",
       {"incomplete_answered_200": True})
_fault("server_ignores_length_mismatch", "NET-19", "accepts a complete creation whose Upload-Length disagrees with its body",
       {"ignore_length_mismatch": True})
_fault("server_cut_reported_complete", "NET-21", "reports an interrupted upload as complete", {"cut_reported_complete": True})
_fault("server_redirects_unknown", "NET-25", "redirects offset retrieval of an unknown upload (301)", {"head_redirects_unknown": True})
_fault("server_append_not_marked_complete", "NET-26", "answers the completing append without saying the upload is complete",
       {"append_not_marked_complete": True})
_fault("server_delete_ignored", "NET-30", "answers DELETE 204 but keeps the upload active", {"delete_ignored": True})
_fault("server_ignores_max_size", "NET-12", "announces max-size=100000 but accepts longer uploads",
       {"max_size": 100_000, "ignore_max_size": True})
_fault("server_offset_as_string", "NET-32", "sends Upload-Offset as a Structured-Fields String", {"offset_as_string": True})
