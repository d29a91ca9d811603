"""The resumable-upload procedures (preflight, creation, offset retrieval, append, cancellation).

Requests are identified as the drafts suggest: a URL under the resource prefix is an upload
resource (HEAD = offset retrieval, PATCH = append, DELETE = cancellation); any other POST/PUT/PATCH
is an upload creation. A creation is resumable only when it carries an interop version the server
serves *and* that version's completion field; anything else is a plain upload, answered without a
104 and without an upload resource, as the drafts require of draft implementations.
Every deviation from the drafts is a fault switch of `ServerConfig`, checked where it bites.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import h11
import http_sf

from bru_conformance.scenario.redact import redact_headers

from .config import APPLE_EXAMPLE_LIMIT
from .fields import FieldError, parse_bool, parse_int, ser_bool, ser_int, ser_limit
from .versions import INTEROP_HEADER, PARTIAL_UPLOAD, RULES, VersionRules
from .wire import Interrupted, Wire

if TYPE_CHECKING:
    from .server import UploadServer
    from .store import _Upload

PROBLEM = "https://iana.org/assignments/http-problem-types#"
UPLOAD_FIELDS = ("upload-offset", "upload-complete", "upload-incomplete")


class ConnectionHandler:
    """Serves the requests of one connection, one at a time, until it closes."""

    def __init__(self, sock, server: UploadServer) -> None:
        self.server = server
        self.cfg = server.config
        self.store = server.store
        self.sock = sock
        self.wire = Wire(sock, self.cfg.io_timeout)

    def run(self) -> None:
        try:
            while True:
                event = self.wire.next_event()
                if not isinstance(event, h11.Request):
                    break
                self.handle(event)
                if not self.wire.closed:
                    self.wire.drain()  # consume the request's end even when answered early
                if self.wire.closed or not self.wire.next_cycle():
                    break
        except Interrupted:
            pass
        finally:
            self.wire.close()

    # --- dispatch ------------------------------------------------------------------------------

    def handle(self, req: h11.Request) -> None:
        method = req.method.decode("ascii")
        target = req.target.decode("latin-1")
        pairs = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in req.headers]
        self.h: dict[str, bytes] = {}
        for name, value in req.headers:
            self.h.setdefault(name.decode("latin-1"), value)
        self.rec = self.store.log({
            "method": method, "target": target,
            "headers": [[n, redact_headers({n: v})[n]] for n, v in pairs],
            "interop": self.h[INTEROP_HEADER].decode("latin-1") if INTEROP_HEADER in self.h else None,
            "kind": None, "upload_id": None, "informational": [], "status": None,
            "response_headers": [], "body_received": 0, "outcome": None,
        })
        # h11 forgets the expectation once any 1xx (our 104) is sent, so note it now.
        self.expects_continue = self.wire.conn.they_are_waiting_for_100_continue
        path = urlsplit(target).path
        try:
            if method == "OPTIONS":
                self.preflight()
            elif path.startswith(self.cfg.resource_prefix):
                self.resource(method, path[len(self.cfg.resource_prefix):])
            elif method in ("POST", "PUT", "PATCH"):
                self.creation()
            else:
                self.reject(404, "not-found")
        except Interrupted:
            self.note(outcome=self.rec["outcome"] or "interrupted")
            self.wire.close()

    def resource(self, method: str, uid: str) -> None:
        handlers = {"HEAD": self.offset_retrieval, "PATCH": self.append, "DELETE": self.cancellation}
        if method not in handlers:
            self.reject(405, "method-not-allowed", [("allow", "HEAD, PATCH, DELETE")])
            return
        self.note(kind={"HEAD": "offset", "PATCH": "append", "DELETE": "cancel"}[method], upload_id=uid)
        if method == "DELETE" and not self.cfg.allow_delete:
            self.reject(405, "method-not-allowed", [("allow", "HEAD, PATCH")])
            return
        upload = self.store.get(uid)
        if upload is None and method == "HEAD" and self.cfg.head_redirects_unknown:
            location = self.store.fresh_location(self.server.base_url, self.cfg.resource_prefix)
            self.final(301, [("location", location)], head=True, outcome="redirected-unknown")
            return
        if upload is None or not upload.resumable or upload.cancelled or upload.invalid:
            self.reject(404, "no-such-upload", head=method == "HEAD")
            return
        handlers[method](upload, RULES[upload.version])

    # --- responses -----------------------------------------------------------------------------

    def note(self, **fields: Any) -> None:
        self.store.note(self.rec, fields)

    def limit_value(self) -> bytes:
        if self.cfg.bare_integer_limit:
            return str(self.cfg.max_size if self.cfg.max_size is not None else APPLE_EXAMPLE_LIMIT).encode()
        return ser_limit(self.cfg.max_size)

    def enforced_max_size(self) -> int | None:
        """The size uploads are held to: none under the ignore_max_size fault, which still announces it."""
        return None if self.cfg.ignore_max_size else self.cfg.max_size

    def offset_value(self, offset: int) -> bytes:
        """Upload-Offset as sent: an sf-integer, or an sf-string under the offset_as_string fault."""
        return http_sf.ser(str(offset)).encode("ascii") if self.cfg.offset_as_string else ser_int(offset)

    def interim(self, headers: list[tuple[str, Any]], status: int = 104, reason: bytes = b"Upload Resumption Supported") -> None:
        self.wire.interim(status, headers, reason)
        with self.store.lock:
            self.rec["informational"].append({"status": status, "headers": [[n, _text(v)] for n, v in headers]})

    def final(self, status: int, headers: list[tuple[str, Any]], body: bytes = b"", *, head: bool = False,
              outcome: str = "ok") -> None:
        headers = headers + list(self.cfg.extra.items())
        self.note(status=status, response_headers=[[n, _text(v)] for n, v in headers], outcome=outcome)
        self.wire.final(status, headers, body, head=head)

    def reject(self, status: int, outcome: str, headers: list[tuple[str, Any]] | None = None,
               problem: dict[str, Any] | None = None, *, head: bool = False) -> None:
        """Answer an error before (or instead of) reading the body, then drain what is left of it."""
        headers = list(headers or [])
        body = b""
        if problem is not None:
            body = json.dumps(problem).encode()
            headers.append(("content-type", "application/problem+json"))
        self.final(status, headers, body, head=head, outcome=outcome)
        self.note(body_received=self.rec["body_received"] + self.wire.drain())

    # --- procedures ----------------------------------------------------------------------------

    def preflight(self) -> None:
        self.note(kind="preflight")
        if not self.cfg.interop_versions:
            self.final(self.cfg.preflight_status_unsupported, [])
            return
        if self.cfg.preflight_501 or (self.cfg.preflight_needs_interop and INTEROP_HEADER not in self.h):
            self.final(501, [])
            return
        headers = [("upload-limit", self.limit_value())] if not self.cfg.preflight_without_limit else []
        headers.append(("allow", "OPTIONS, POST, PUT, PATCH, HEAD, DELETE"))
        if any(RULES[v].accept_patch_on_options for v in self.cfg.interop_versions):
            headers.append(("accept-patch", PARTIAL_UPLOAD))
        self.final(200, headers)

    def served_rules(self) -> VersionRules | None:
        try:
            version = parse_int(self.h.get(INTEROP_HEADER))
        except FieldError:
            return None
        return RULES[version] if version in self.cfg.interop_versions else None

    def creation(self) -> None:
        rules = self.served_rules()
        assumed = rules is None and self.cfg.resumable_without_interop and INTEROP_HEADER not in self.h
        if assumed:  # resumable_without_interop fault: no interop header is taken for interop 8
            rules = RULES[8]
        if rules is None or (rules.completion_field not in self.h and not assumed):
            self.plain_upload()
            return
        self.note(kind="creation")
        try:
            complete = rules.complete_from(parse_bool(self.h.get(rules.completion_field)))
            if complete is None:  # only when assumed: a plain upload is a complete one
                complete = True
        except FieldError:
            self.reject(400, "bad-completion-field")
            return
        if "upload-offset" in self.h and not self.cfg.accept_offset_on_creation:
            self.reject(400, "offset-on-creation")
            return
        content_length = _content_length(self.h)
        length = content_length if complete else None
        if rules.has_upload_length and "upload-length" in self.h:
            try:
                declared = parse_int(self.h["upload-length"])
            except FieldError:
                self.reject(400, "bad-upload-length")
                return
            if length is not None and declared != length:
                if not self.cfg.ignore_length_mismatch:
                    self.reject(400, "inconsistent-length", problem=_problem("inconsistent-upload-length"))
                    return
                declared = length  # ignore_length_mismatch fault: the body's size wins
            length = declared
        max_size = self.enforced_max_size()
        if max_size is not None and length is not None and length > max_size:
            self.reject(413, "over-limit", [("upload-limit", self.limit_value())])
            return
        upload = self.store.create(resumable=True, version=rules.version, base_url=self.server.base_url,
                                   prefix=self.cfg.resource_prefix)
        upload.length = length
        token = self.store.take_over(upload, self.sock, terminate=True)
        self.note(upload_id=upload.id)
        location = upload.location
        if not self.cfg.no_104:
            interim: list[tuple[str, Any]] = []
            if not self.cfg.no_interop_in_104:
                interim.append(("upload-draft-interop-version", ser_int(rules.version)))
            interim.append(("location", location))
            if rules.has_upload_limit and not self.cfg.no_limit_in_104:
                interim.append(("upload-limit", self.limit_value()))
            self.interim(interim)
        if self.cfg.wrong_location_on_final:
            location = self.store.fresh_location(self.server.base_url, self.cfg.resource_prefix)
        if self.cfg.early_final:
            self.early_final(rules, [("location", location)], claimed=length or content_length or 0)
            return
        outcome = self.receive(upload, token, rules)
        if outcome != "received":
            return
        headers: list[tuple[str, Any]] = [("location", location)]
        hide_incomplete = not complete and self.cfg.incomplete_answered_200
        if not complete and not hide_incomplete:
            headers.append((rules.completion_field, ser_bool(rules.completion_value(False))))
        if rules.append_reports_offset:
            headers.append(("upload-offset", self.offset_value(upload.view().offset)))
        if rules.has_upload_limit:
            headers.append(("upload-limit", self.limit_value()))
        headers.append((self.cfg.server_id_header.lower(), upload.id))
        self.finish(upload, token, complete)
        self.final(200 if hide_incomplete else 201, headers)

    def plain_upload(self) -> None:
        """No (served) interop version or no completion field: a conventional upload, no 104."""
        self.note(kind="plain")
        upload = self.store.create(resumable=False, version=None, base_url=self.server.base_url,
                                   prefix=self.cfg.resource_prefix)
        token = self.store.take_over(upload, self.sock, terminate=True)
        self.note(upload_id=upload.id)
        if self.cfg.early_final:
            self.early_final(None, [], claimed=0)
            return
        if self.receive(upload, token, None) == "received":
            self.finish(upload, token, True)
            self.final(201, [(self.cfg.server_id_header.lower(), self.rec["upload_id"])])

    def early_final(self, rules: VersionRules | None, headers: list[tuple[str, Any]], claimed: int) -> None:
        """The early_final fault: claim success before reading a byte, then discard the body."""
        if rules is not None and rules.append_reports_offset:
            headers.append(("upload-offset", self.offset_value(claimed)))
        headers.append((self.cfg.server_id_header.lower(), self.rec["upload_id"]))
        self.final(201, headers, outcome="early-final")
        self.note(body_received=self.wire.drain())

    def receive(self, upload: _Upload, token: int, rules: VersionRules | None, *, uncapped: bool = False) -> str:
        """Append the body as it arrives; answer overflow; returns "received" or how it stopped."""
        cap_length = None if self.cfg.store_past_length or uncapped else upload.length
        caps = [c for c in (cap_length, self.enforced_max_size()) if c is not None]
        cap = min(caps) if caps else None
        drop = self.cfg.drop_mid_body if self.rec["kind"] in ("creation", "plain") else None
        got = 0
        try:
            if self.expects_continue and self.wire.conn.their_state is h11.SEND_BODY:
                # A 104 does not stand in for the 100 the client asked for (draft-10 onwards says so).
                self.interim([], 100, b"Continue")
            for chunk in self.wire.body():
                if drop is not None and got + len(chunk) >= drop:
                    chunk = chunk[: drop - got]
                    self.store.append(upload, token, chunk, limit=cap)
                    self.note(body_received=drop, outcome="dropped")
                    self.store.release(upload, token)
                    self.wire.abort()
                    return "dropped"
                got += len(chunk)
                self.note(body_received=got)
                owner, overflow = self.store.append(upload, token, chunk, limit=cap)
                if not owner:
                    self.note(outcome="superseded")
                    self.wire.abort()
                    return "superseded"
                if overflow:
                    return self.overflow(upload, token, rules)
        except Interrupted:
            self.note(outcome="interrupted")
            self.store.release(upload, token)
            self.wire.close()
            return "interrupted"
        return "received"

    def overflow(self, upload: _Upload, token: int, rules: VersionRules | None) -> str:
        """Bytes past the length (400) or past max-size (413): stop appending, reject, maybe invalidate."""
        past_length = upload.length is not None and upload.view().offset >= upload.length
        if rules is not None and (rules.overflow_invalidates or not past_length):
            with self.store.lock:
                upload.invalid = True
        self.store.release(upload, token)
        if past_length:
            self.reject(400, "past-length", problem=_problem("inconsistent-upload-length"))
        else:
            self.reject(413, "over-limit", [("upload-limit", self.limit_value())])
        return "overflow"

    def finish(self, upload: _Upload, token: int, complete: bool) -> None:
        with self.store.lock:
            if complete:
                upload.complete = True
                if upload.length is None:
                    upload.length = len(upload.data)
        self.store.release(upload, token)

    def offset_retrieval(self, upload: _Upload, rules: VersionRules) -> None:
        if rules.rejects_fields_on_head_delete and self.carries_upload_fields(rules):
            self.reject(400, "upload-fields-on-head", head=True)
            return
        self.store.take_over(upload, None, terminate=not self.cfg.ignore_concurrency)
        with self.store.lock:
            offset, complete, length = len(upload.data), upload.complete, upload.length
            if self.cfg.decreasing_offset and upload.last_reported is not None:
                offset = upload.last_reported // 2
            upload.last_reported = offset
        if self.cfg.cut_reported_complete:
            complete = True
        headers: list[tuple[str, Any]] = [
            ("upload-offset", self.offset_value(offset)),
            (rules.completion_field, ser_bool(rules.completion_value(complete))),
        ]
        if rules.has_upload_length and length is not None:
            headers.append(("upload-length", ser_int(length)))
        if rules.has_upload_limit:
            headers.append(("upload-limit", self.limit_value()))
        if not self.cfg.head_without_no_store:
            headers.append(("cache-control", "no-store"))
        status = 204 if rules.version <= 4 else self.cfg.head_status
        self.final(status, headers, head=True)

    def carries_upload_fields(self, rules: VersionRules) -> bool:
        names = UPLOAD_FIELDS + (("upload-length",) if rules.has_upload_length else ())
        return any(n in self.h for n in names)

    def append(self, upload: _Upload, rules: VersionRules) -> None:
        if rules.partial_upload_required and _media_type(self.h.get("content-type")) != PARTIAL_UPLOAD:
            self.reject(415, "not-partial-upload", [("accept-patch", PARTIAL_UPLOAD)])
            return
        try:
            offset = parse_int(self.h.get("upload-offset"))
            announced = parse_bool(self.h.get(rules.completion_field))
            declared = parse_int(self.h.get("upload-length")) if rules.has_upload_length else None
        except FieldError:
            offset = None
        if offset is None:
            self.reject(400, "bad-upload-offset")
            return
        if announced is None and rules.completion_required_on_append:
            self.reject(400, "missing-upload-complete")
            return
        complete = rules.absent_means_complete if announced is None else rules.complete_from(announced)
        token = self.store.take_over(upload, self.sock, terminate=not self.cfg.ignore_concurrency)
        try:
            self.append_owned(upload, rules, token, offset, complete, declared)
        finally:
            self.store.release(upload, token)

    def append_owned(self, upload: _Upload, rules: VersionRules, token: int, offset: int, complete: bool,
                     declared: int | None) -> None:
        """The append, once this request owns the upload (a stale transfer was cut off)."""
        incomplete_marker = [("upload-complete", ser_bool(False))] if rules.append_reports_complete else []
        with self.store.lock:
            current, done, known = len(upload.data), upload.complete, upload.length
        content_length = _content_length(self.h)
        if done and not self.cfg.modify_completed:
            kind = "inconsistent-upload-length" if rules.version >= 8 and content_length else "completed-upload"
            self.reject(400, "completed", problem=_problem(kind) if rules.version >= 6 else None)
            return
        if offset != current:
            headers = [] if self.cfg.conflict_without_offset else [("upload-offset", self.offset_value(current))]
            problem = None
            if rules.version >= 6:
                problem = _problem("mismatching-upload-offset", **{"expected-offset": current, "provided-offset": offset})
            self.reject(409, "offset-mismatch", headers + incomplete_marker, problem)
            return
        final_size = offset + content_length if complete and content_length is not None else None
        for size in (final_size, declared):
            if size is not None and known is not None and size != known and not done:
                self.reject(400, "inconsistent-length", incomplete_marker, _problem("inconsistent-upload-length"))
                return
        if final_size is not None and declared is not None and final_size != declared:
            self.reject(400, "inconsistent-length", incomplete_marker, _problem("inconsistent-upload-length"))
            return
        new_length = known if known is not None else (declared if declared is not None else final_size)
        max_size = self.enforced_max_size()
        if max_size is not None and new_length is not None and new_length > max_size:
            self.reject(413, "over-limit", [("upload-limit", self.limit_value())] + incomplete_marker)
            return
        with self.store.lock:
            if not done:
                upload.length = new_length
        if self.receive(upload, token, rules, uncapped=done) != "received":  # done: modify_completed fault
            return
        self.finish(upload, token, complete)
        headers: list[tuple[str, Any]] = []
        unmarked = complete and self.cfg.append_not_marked_complete
        if rules.append_reports_offset:
            if not unmarked:
                headers.append(("upload-offset", self.offset_value(upload.view().offset)))
            if not complete:
                headers.append((rules.completion_field, ser_bool(rules.completion_value(False))))
            status = 201
        else:
            headers.append(("upload-complete", ser_bool(complete and not unmarked)))
            status = 200 if complete else 204
        if complete and not self.cfg.headers_only_on_creation:
            headers.append((self.cfg.server_id_header.lower(), upload.id))
        self.final(status, headers)

    def cancellation(self, upload: _Upload, rules: VersionRules) -> None:
        if rules.rejects_fields_on_head_delete and self.carries_upload_fields(rules):
            self.reject(400, "upload-fields-on-delete")
            return
        if self.cfg.delete_ignored:
            self.final(204, [], outcome="delete-ignored")
            return
        self.store.take_over(upload, None, terminate=True)
        with self.store.lock:
            upload.cancelled = True
        self.final(204, [])


def _content_length(h: dict[str, bytes]) -> int | None:
    raw = h.get("content-length")
    return int(raw) if raw is not None and raw.strip().isdigit() else None


def _media_type(raw: bytes | None) -> str | None:
    return raw.decode("latin-1").split(";", 1)[0].strip().lower() if raw is not None else None


def _problem(kind: str, **members: Any) -> dict[str, Any]:
    return {"type": PROBLEM + kind, **members}


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
