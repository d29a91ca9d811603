"""Steps of the network feature (NET): the SYSTEM uploading over real HTTP, and the SERVER under probe.

@system scenarios: the harness runs a reference upload server on loopback and asks the SYSTEM
(capability `upload-over-http`) to upload to it; every check reads the *server's* log and store, never
the SYSTEM's account. @server scenarios: `world` is a `ServerWorld`; the harness drives the server under
test with its probe client in the scenario's interop version, and every check reads what the probe
received.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, then, when

from bru_conformance.protocol import resource_bytes
from bru_conformance.scenario.probe import completion_header, parse_dictionary, parse_item
from bru_conformance.scenario.server_world import ProbeUpload, ServerWorld, body_of
from bru_conformance.scenario.world import World, not_applicable

from .job_steps import _find
from .vocabulary import p

# ================================================================================ SYSTEM over HTTP
INTEROP_FOR_SYSTEM = 8  # AMB-36: the version the 26.x / 27 profiles send
PHOTO_SIZE = 65536


def _serve(world: World, **config: Any) -> None:
    """Start the harness's upload server (stopped with the world) and send the SYSTEM's uploads to it."""
    world.require("upload-over-http")
    base, server = world.serve_uploads(**config)
    world.upload_server, world.upload_url = server, f"{base}/upload"
    world.photo_size = PHOTO_SIZE
    world.env.install_app(url_base=f"{base}/")
    world.env.upload_over_http(INTEROP_FOR_SYSTEM)
    world.note("evidence: the log and store of an upload server the harness ran on loopback")


@given("the uploads go over HTTP to a resumable-upload server the harness runs")
def http_server(world: World) -> None:
    _serve(world)


@given(p("the uploads go over HTTP to a resumable-upload server the harness runs that drops every creation after {count:d} bytes"))
def http_server_dropping(world: World, count: int) -> None:
    _serve(world, drop_mid_body=count)


@given(p('the uploads go over HTTP to a resumable-upload server the harness runs that adds response header "{name}" set to "{value}"'))
def http_server_extra_header(world: World, name: str, value: str) -> None:
    _serve(world, extra={name: value})


@given("the uploads go over HTTP to a server the harness runs that does not offer resumable uploads")
def http_server_plain(world: World) -> None:
    _serve(world, interop_versions=())


def _exchanges(world: World) -> list[dict[str, Any]]:
    return world.upload_server.exchanges


def _uploads_of(world: World, alias: str) -> list[Any]:
    """The server's uploads holding exactly the bytes of `alias`'s resource."""
    expected = resource_bytes(world.resource(alias))
    return [u for u in world.upload_server.uploads.values() if u.data == expected and u.complete]


@then("the harness's server received a preflight before the first upload")
def preflight_first(world: World) -> None:
    kinds = [e["method"] for e in _exchanges(world)]
    assert kinds, "the harness's server received no request at all"
    assert kinds[0] == "OPTIONS", f"the first request the server received was {kinds[0]}, not an OPTIONS preflight: {kinds}"


@then("the harness's server received fewer preflights than uploads")
def preflights_cached(world: World) -> None:
    log = _exchanges(world)
    preflights = sum(1 for e in log if e["method"] == "OPTIONS")
    creations = sum(1 for e in log if e["kind"] in ("creation", "plain"))
    assert creations >= 2, f"the server received {creations} upload(s): too few to tell whether the preflight is cached"
    assert preflights < creations, f"{preflights} preflights for {creations} uploads: the preflight result is not cached"


@then(p('the harness\'s server holds every byte of "{alias}"'))
def server_holds(world: World, alias: str) -> None:
    assert _uploads_of(world, alias), (f"no complete upload on the server holds the {world.resource(alias).size} bytes of "
                                       f"{alias!r}; stored: {[(u.id, len(u.data), u.complete) for u in world.upload_server.uploads.values()]}")


@then(p('the harness\'s server stored "{alias}" in {count:d} upload'))
def stored_once(world: World, alias: str, count: int) -> None:
    expected = resource_bytes(world.resource(alias))
    ids = {e["upload_id"] for e in _exchanges(world) if e["kind"] in ("creation", "plain")}
    uploads = world.upload_server.uploads
    started = [i for i in ids if i in uploads and expected.startswith(uploads[i].data)]
    assert len(started) == count, (f"{alias!r} was started in {len(started)} upload(s) on the server, not {count} "
                                   "(a new creation instead of a resumption)")


@then(p('the upload of "{alias}" was resumed from the offset the server reported'))
def resumed_from_offset(world: World, alias: str) -> None:
    uploads = _uploads_of(world, alias)
    assert uploads, f"no complete upload of {alias!r} on the server"
    uid = uploads[0].id
    own = [e for e in _exchanges(world) if e["upload_id"] == uid]
    heads = [e for e in own if e["method"] == "HEAD" and e["status"] is not None and e["status"] < 300]
    patches = [e for e in own if e["method"] == "PATCH"]
    assert heads and patches, f"the upload of {alias!r} was never resumed (requests: {[e['method'] for e in own]})"
    reported = {dict(h["response_headers"]).get("upload-offset") for h in heads}
    sent = [dict((n.lower(), v) for n, v in e["headers"]).get("upload-offset") for e in patches]
    assert all(s in reported for s in sent), f"the system appended at offsets {sent}; the server had reported {sorted(reported)}"


@then(p('job "{alias}" has every response header of the final response the harness\'s server sent for it'))
def job_has_final_headers(world: World, alias: str) -> None:
    uploads = _uploads_of(world, alias)
    assert uploads, f"no complete upload of {alias!r} on the server"
    finals = [e for e in _exchanges(world) if e["upload_id"] == uploads[0].id and e["method"] in ("POST", "PUT", "PATCH")
              and e["status"] is not None and 200 <= e["status"] < 300]
    assert finals, f"the server sent no 2xx final response for {alias!r}"
    sent = {n.lower(): v for n, v in finals[-1]["response_headers"]}
    headers = _find(world, alias).response_header_fields
    assert headers is not None, f"job {alias!r} has no response headers"
    missing = {n: v for n, v in sent.items() if headers.get(n) != v and n != "content-length"}
    assert not missing, f"job {alias!r} lacks (or changed) response headers the server sent on its final response: {missing}"
    assert all(n == n.lower() for n in headers), f"job {alias!r} has header names that are not lower-cased: {sorted(headers)}"


@then("the harness's server received no request")
def server_idle(world: World) -> None:
    log = _exchanges(world)
    assert not log, f"the server received {[(e['method'], e['target']) for e in log]}"


# ================================================================================ SERVER under probe
def _fresh(world: ServerWorld, alias: str, size: int) -> ProbeUpload:
    upload = ProbeUpload(alias, body_of(alias, size))
    world.uploads[alias] = upload
    return upload


@given("the server accepts a well-formed creation")
def accepts_creation(world: ServerWorld) -> None:
    """A refusal rule means something only for a server that accepts what is well-formed: one that refuses
    everything (NET-17's failure) makes the refusal scenarios not applicable instead of passing them."""
    upload = _fresh(world, "well-formed", 4096)
    answer = world.probe.create(upload.body)
    world.record(upload, answer)
    if not (answer.status is not None and 200 <= answer.status < 300):
        not_applicable(f"the server refuses even a well-formed creation ({answer.status or answer.error}), so a refusal shows nothing")


@when("the harness sends a preflight")
def preflight(world: ServerWorld) -> None:
    world.preflights.append(world.record(None, world.probe.preflight()))


@when("the harness sends a preflight without the interop version")
def preflight_plain(world: ServerWorld) -> None:
    world.preflights.append(world.record(None, world.probe.preflight(interop=None)))


@when(p('the harness uploads "{alias}" of {size:d} bytes in one creation request'))
def create_whole(world: ServerWorld, alias: str, size: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body))


@when(p('the harness uploads "{alias}" of {size:d} bytes in one creation request without the interop version'))
def create_plain(world: ServerWorld, alias: str, size: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body, interop=None))


@when(p('the harness uploads "{alias}" of {size:d} bytes in one creation request with interop version {version:d}'))
def create_unknown_version(world: ServerWorld, alias: str, size: int, version: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body, interop=version, completion=world.interop, await_interim=False))


@when(p('the harness uploads "{alias}" of {size:d} bytes in one creation request announcing an Upload-Length of {length:d}'))
def create_wrong_length(world: ServerWorld, alias: str, size: int, length: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body, upload_length=length))


@when(p('the harness uploads "{alias}" of {size:d} bytes in one creation request carrying Upload-Offset {offset:d}'))
def create_with_offset(world: ServerWorld, alias: str, size: int, offset: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body, headers={"Upload-Offset": str(offset)}))


@when(p('the harness creates "{alias}" announcing one byte more than the announced max-size'))
def create_over_limit(world: ServerWorld, alias: str) -> None:
    limits = parse_dictionary(_preflight(world).header("upload-limit")) or {}
    max_size = limits.get("max-size")
    if not isinstance(max_size, int):
        not_applicable("the server announces no max-size, so it caps no upload size")
    upload = _fresh(world, alias, 1024)
    world.record(upload, world.probe.create(upload.body, complete=False, upload_length=max_size + 1))


@when(p('the harness starts "{alias}" of {size:d} bytes with an incomplete creation carrying {sent:d} bytes'))
def create_incomplete(world: ServerWorld, alias: str, size: int, sent: int) -> None:
    upload = _fresh(world, alias, size)
    length = size if world.interop >= 6 else None
    world.record(upload, world.probe.create(upload.body[:sent], complete=False, upload_length=length))


@when(p('the harness cuts the creation of "{alias}" of {size:d} bytes after {sent:d} bytes'))
def create_cut(world: ServerWorld, alias: str, size: int, sent: int) -> None:
    upload = _fresh(world, alias, size)
    world.record(upload, world.probe.create(upload.body, cut_after=sent))


@when(p('the harness starts the creation of "{alias}" of {size:d} bytes and holds its connection open after {sent:d} bytes'))
def create_held(world: ServerWorld, alias: str, size: int, sent: int) -> None:
    upload = _fresh(world, alias, size)
    upload.held = world.probe.hold(upload.body, send=sent)
    world.record(upload, upload.held.record)


@when(p('the held connection of "{alias}" sends the rest of its body'))
def held_finishes(world: ServerWorld, alias: str) -> None:
    upload = world.upload(alias)
    assert upload.held is not None, f"no held connection for {alias!r}"
    upload.held_outcome = upload.held.finish()


def _location(world: ServerWorld, alias: str) -> str:
    location = world.upload(alias).location
    assert location, f"the server gave {alias!r} no Location (neither in a 104 nor in its final response)"
    return location


@when(p('the harness asks the server for the offset of "{alias}"'))
def head(world: ServerWorld, alias: str) -> None:
    upload = world.upload(alias)
    world.record(upload, world.probe.head(_location(world, alias)))


@when("the harness asks for the offset of an upload the server never created")
def head_unknown(world: ServerWorld) -> None:
    world.record(None, world.probe.head("/upload/never-created-by-the-harness-0000"))
    if world.last is not None and world.last.status == 404:
        return
    fresh = world.probe.create(b"x", complete=False)  # also try beside a real Location: a sibling that does not exist
    if fresh.location:
        world.record(None, world.probe.head(fresh.location.rstrip("/") + "-unknown"))


def _reported(upload: ProbeUpload) -> int:
    assert upload.offsets, f"the server has reported no offset for {upload.alias!r}"
    return upload.offsets[-1]


def _append(world: ServerWorld, alias: str, offset: int, data: bytes, complete: bool) -> None:
    upload = world.upload(alias)
    length = len(upload.body) if world.interop >= 6 and not complete else None
    upload.append = world.probe.append(_location(world, alias), offset, data, complete=complete, upload_length=length)
    if upload.append.status is not None and 200 <= upload.append.status < 300 and upload.append.header("upload-offset") is None:
        upload.stands_at = offset + len(data)  # accepted whole (from interop 7 an append answer reports no offset)
    world.record(upload, upload.append)


def _offset_now(world: ServerWorld, upload: ProbeUpload) -> int:
    """The offset to append at: where the upload stands (the server's last report, or the bytes a 2xx accepted)."""
    if upload.stands_at is not None:
        return upload.stands_at
    creation = upload.exchanges[0]
    assert creation.status is not None and creation.status < 300, f"the creation of {upload.alias!r} was answered {creation.status}"
    return creation.bytes_sent


@when(p('the harness appends the rest of "{alias}" from the offset the server reported'))
def append_rest(world: ServerWorld, alias: str) -> None:
    upload = world.upload(alias)
    offset = _offset_now(world, upload)
    _append(world, alias, offset, upload.body[offset:], True)


@when(p('the harness appends {count:d} more bytes of "{alias}" from the offset the server reported'))
def append_some(world: ServerWorld, alias: str, count: int) -> None:
    upload = world.upload(alias)
    offset = _offset_now(world, upload)
    _append(world, alias, offset, upload.body[offset:offset + count], False)


@when(p('the harness appends {count:d} bytes of "{alias}" from the offset the server reported'))
def append_past_length(world: ServerWorld, alias: str, count: int) -> None:
    upload = world.upload(alias)
    offset = _offset_now(world, upload)
    data = (upload.body + body_of(alias + "/more", count))[offset:offset + count]
    _append(world, alias, offset, data, False)  # not claiming completion: only the announced length bounds it


@when(p('the harness appends the rest of "{alias}" from offset {offset:d}'))
def append_at(world: ServerWorld, alias: str, offset: int) -> None:
    upload = world.upload(alias)
    _append(world, alias, offset, upload.body[offset:], True)


@when(p('the harness appends {count:d} bytes to the completed upload "{alias}"'))
def append_to_completed(world: ServerWorld, alias: str, count: int) -> None:
    upload = world.upload(alias)
    _append(world, alias, len(upload.body), body_of(alias + "/more", count), True)


@when(p('the harness cancels "{alias}"'))
def cancel(world: ServerWorld, alias: str) -> None:
    upload = world.upload(alias)
    upload.cancel = world.probe.delete(_location(world, alias))
    world.record(upload, upload.cancel)


# ------------------------------------------------------------------------------------ checks
def _last(world: ServerWorld):  # type: ignore[no-untyped-def]
    assert world.last is not None, "the harness sent no request"
    assert world.last.error is None or world.last.status is not None, f"no answer: {world.last.error}"
    return world.last


def _preflight(world: ServerWorld):  # type: ignore[no-untyped-def]
    assert world.preflights, "the harness sent no preflight"
    return world.preflights[0]


@then(p("the server answered {status:d}"))
def answered(world: ServerWorld, status: int) -> None:
    last = _last(world)
    assert last.status == status, f"the server answered {last.status} {last.reason or ''}, not {status}"


@then("the preflight was answered 200")
def preflight_200(world: ServerWorld) -> None:
    first = _preflight(world)
    assert first.status == 200, f"the preflight was answered {first.status}, not 200"


@then("the server did not answer 501")
def not_501(world: ServerWorld) -> None:
    assert _last(world).status != 501, "a server that serves resumable uploads answered its preflight 501 (Not Implemented)"


@then("the server answered with a 2xx status")
def answered_2xx(world: ServerWorld) -> None:
    last = _last(world)
    assert last.status is not None and 200 <= last.status < 300, f"the server answered {last.status} ({last.error or last.reason})"


@then("the server refused it with a 4xx status")
def refused(world: ServerWorld) -> None:
    last = _last(world)
    assert last.status is not None and 400 <= last.status < 500, (
        f"the server answered {last.status} {last.reason or ''}, not a 4xx refusal" if last.status else f"no answer: {last.error}")


@then("if the cancellation was accepted, the server refused it with a 4xx status")
def refused_after_cancel(world: ServerWorld) -> None:
    cancelled = [u.cancel for u in world.uploads.values() if u.cancel is not None]
    assert cancelled, "the harness cancelled nothing"
    if not (cancelled[-1].status and 200 <= cancelled[-1].status < 300):
        not_applicable(f"the server refused the cancellation ({cancelled[-1].status}): it does not offer DELETE")
    refused(world)


@then("the answer carries an Upload-Limit field")
def has_limit(world: ServerWorld) -> None:
    assert _last(world).header("upload-limit") is not None, "the answer has no Upload-Limit field"


@then("the answer's Upload-Limit is a Dictionary whose size members are non-negative Integers")
def limit_dictionary(world: ServerWorld) -> None:
    raw = _last(world).header("upload-limit")
    assert raw is not None, "the answer has no Upload-Limit field"
    limits = parse_dictionary(raw)
    assert limits, f"Upload-Limit {raw!r} is not a non-empty Structured-Fields Dictionary (AMB-33, reading 'dictionary')"
    bad = {k: v for k, v in limits.items() if k in _SIZE_KEYS and not (isinstance(v, int) and not isinstance(v, bool) and v >= 0)}
    assert not bad, f"Upload-Limit members that are not non-negative Integers: {bad}"


_SIZE_KEYS = ("max-size", "min-size", "max-append-size", "min-append-size")


@then("both preflights got the same status and the same Upload-Limit")
def preflights_alike(world: ServerWorld) -> None:
    assert len(world.preflights) >= 2, "the harness sent fewer than two preflights"
    a, b = world.preflights[:2]
    seen = [(x.status, parse_dictionary(x.header("upload-limit")) or x.header("upload-limit")) for x in (a, b)]
    assert seen[0] == seen[1], f"with the interop version: {seen[0]}; without it: {seen[1]}"


@then("the server sent a 104 with a Location before its final response")
def got_104(world: ServerWorld) -> None:
    creation = next((u.exchanges[0] for u in reversed(list(world.uploads.values())) if u.exchanges), None)
    assert creation is not None, "the harness made no upload"
    interims = creation.interims(104)
    assert interims, f"no 104 before the final response {creation.status} (informational responses: " \
                     f"{[i.status for i in creation.informational]})"
    assert interims[0].header("location"), "the 104 has no Location"


@then("the 104 carries the request's interop version")
def interop_in_104(world: ServerWorld) -> None:
    interims = _last(world).interims(104)
    assert interims, "no 104 arrived"
    value = parse_item(interims[0].header("upload-draft-interop-version"))
    assert value == world.interop, (f"the 104 carries Upload-Draft-Interop-Version {interims[0].header('upload-draft-interop-version')!r}, "
                                    f"the request said {world.interop} (AMB-34, reading 'required')")


@then("the 104 carries an Upload-Limit field")
def limit_in_104(world: ServerWorld) -> None:
    interims = _last(world).interims(104)
    assert interims, "no 104 arrived"
    assert interims[0].header("upload-limit") is not None, "the 104 has no Upload-Limit"


@then("the server sent no 104")
def no_104(world: ServerWorld) -> None:
    last = _last(world)
    assert not last.interims(104), "the server sent a 104 for a request without an interop version it implements"


@then(p('"{a}" and "{b}" got different upload locations'))
def different_locations(world: ServerWorld, a: str, b: str) -> None:
    la, lb = _location(world, a), _location(world, b)
    assert la != lb, f"both uploads got the Location {la}"


@then(p('every response for "{alias}" that names a Location names the same one'))
def same_location(world: ServerWorld, alias: str) -> None:
    creation = world.upload(alias).exchanges[0]
    named = [i.header("location") for i in creation.informational if i.header("location")]
    if creation.header("location"):
        named.append(creation.header("location"))
    resolved = {world.probe.url(x) for x in named}
    assert len(resolved) == 1, f"the responses for {alias!r} name different Locations: {named}"


@then("the final response came after the whole body was sent")
def final_after_body(world: ServerWorld) -> None:
    last = _last(world)
    assert not last.final_before_body_end and last.bytes_sent == last.body_length, (
        f"the server answered {last.status} after {last.bytes_sent} of {last.body_length} body bytes: "
        "it claimed the upload before it had it")


@then(p("up to interop version 6 the final response carries Upload-Offset {offset:d}"))
def offset_up_to_6(world: ServerWorld, offset: int) -> None:
    if world.interop > 6:
        return  # from 7 the drafts no longer ask for it
    value = parse_item(_last(world).header("upload-offset"))
    assert value == offset, f"Upload-Offset is {_last(world).header('upload-offset')!r}, not {offset}"


def _incomplete(world: ServerWorld, headers_of: Any) -> bool:
    name, value = completion_header(world.interop, False)
    return parse_item(headers_of(name)) == (value == "?1")


@then("the final response names a Location and marks the upload incomplete")
def marked_incomplete(world: ServerWorld) -> None:
    last = _last(world)
    assert last.location, "the response names no Location"
    name, _ = completion_header(world.interop, False)
    assert _incomplete(world, last.header), f"the response does not mark the upload incomplete ({name}: {last.header(name)!r})"


@then(p("the reported offset is at most {count:d} and the upload is not complete"))
def offset_within(world: ServerWorld, count: int) -> None:
    last = _last(world)
    assert last.status is not None and 200 <= last.status < 300, f"offset retrieval answered {last.status}"
    offset = parse_item(last.header("upload-offset"))
    assert isinstance(offset, int) and 0 <= offset <= count, f"the server reports offset {last.header('upload-offset')!r} after {count} bytes were sent"
    assert _incomplete(world, last.header), "the server reports the cut upload as complete"


@then(p('if the server still knows "{alias}", it reports all {size:d} bytes and the upload complete'))
def completed_upload_kept(world: ServerWorld, alias: str, size: int) -> None:
    """The evidence that a 2xx for a creation meant the bytes arrived: the server's own later account of the
    upload (a server may forget a completed upload: a 4xx there shows nothing either way)."""
    last = _last(world)
    if last.status is not None and 400 <= last.status < 500:
        world.note(f"the server no longer knows the completed upload {alias!r} ({last.status}): only the 2xx was checked")
        return
    assert last.status is not None and 200 <= last.status < 300, f"offset retrieval of the completed upload answered {last.status}"
    offset = parse_item(last.header("upload-offset"))
    name, _ = completion_header(world.interop, True)
    assert offset == size and not _incomplete(world, last.header), (
        f"after answering the creation 2xx the server reports offset {last.header('upload-offset')!r}, "
        f"{name}: {last.header(name)!r}: it claimed bytes it did not keep")


@then(p('no offset reported for "{alias}" was smaller than an earlier one'))
def offsets_monotonic(world: ServerWorld, alias: str) -> None:
    offsets = world.upload(alias).offsets
    assert len(offsets) >= 2, f"the server reported {len(offsets)} offset(s) for {alias!r}: too few to compare"
    assert offsets == sorted(offsets), f"the offsets reported for {alias!r} went down: {offsets}"


@then(p('the append of "{alias}" was answered with a 2xx status'))
def append_2xx(world: ServerWorld, alias: str) -> None:
    append = world.upload(alias).append
    assert append is not None, f"the harness made no append for {alias!r}"
    assert append.status is not None and 200 <= append.status < 300, f"the append was answered {append.status} ({append.error or append.reason})"


@then(p('the held creation of "{alias}" did not end in a 2xx response'))
def held_lost(world: ServerWorld, alias: str) -> None:
    outcome = world.upload(alias).held_outcome
    assert outcome is not None, "the held connection never finished"
    assert not (outcome.status is not None and 200 <= outcome.status < 300), (
        f"the stale creation still completed the upload ({outcome.status}) after the server had handed out an offset")


@then(p("the append's answer says the upload of {size:d} bytes is complete"))
def append_complete(world: ServerWorld, size: int) -> None:
    last = _last(world)
    if world.interop <= 6:
        value = parse_item(last.header("upload-offset"))
        assert value == size, f"the completing append reports Upload-Offset {last.header('upload-offset')!r}, not {size}"
    else:
        assert parse_item(last.header("upload-complete")) is True, f"the completing append has Upload-Complete {last.header('upload-complete')!r}"


@then(p("the server answered 409 with Upload-Offset {offset:d}"))
def conflict(world: ServerWorld, offset: int) -> None:
    last = _last(world)
    assert last.status == 409, f"an append at a wrong offset was answered {last.status}, not 409"
    assert parse_item(last.header("upload-offset")) == offset, f"the 409 carries Upload-Offset {last.header('upload-offset')!r}, not {offset}"


@then(p('no offset the server reports for "{alias}" exceeds {size:d}'))
def offset_capped(world: ServerWorld, alias: str, size: int) -> None:
    upload = world.upload(alias)
    answer = world.record(upload, world.probe.head(_location(world, alias)))
    reported = parse_item(answer.header("upload-offset")) if answer.status and answer.status < 300 else None
    offsets = upload.offsets + ([reported] if isinstance(reported, int) else [])
    assert all(o <= size for o in offsets), f"the server reported offsets {offsets} for an upload of {size} bytes"


@then("the offset answer has the status and fields of its interop version")
def head_fields(world: ServerWorld) -> None:
    last = _last(world)
    allowed = (204,) if world.interop <= 4 else (200, 204)
    assert last.status in allowed, f"offset retrieval answered {last.status}; interop {world.interop} allows {allowed}"
    assert isinstance(parse_item(last.header("upload-offset")), int), f"Upload-Offset is {last.header('upload-offset')!r}"
    name, _ = completion_header(world.interop, False)
    assert isinstance(parse_item(last.header(name)), bool), f"{name} is {last.header(name)!r}"
    if world.interop >= 6:
        assert parse_item(last.header("upload-length")) is not None, "the length was announced, yet the answer has no Upload-Length"
    if world.interop >= 8:
        assert last.header("upload-limit") is not None, "from interop 8 offset retrieval carries Upload-Limit"


@then("the offset answer forbids caching")
def no_store(world: ServerWorld) -> None:
    value = (_last(world).header("cache-control") or "").lower()
    assert "no-store" in [d.strip() for d in value.split(",")], f"Cache-Control is {value!r}, not no-store"


@then(p('the completing response of "{cut}" carries every header the final response of "{whole}" carried'))
def same_app_headers(world: ServerWorld, cut: str, whole: str) -> None:
    reference = world.upload(whole).exchanges[0]
    completing = world.upload(cut).append
    assert reference.status and 200 <= reference.status < 300, f"the one-request upload was answered {reference.status}"
    assert completing is not None and completing.status and 200 <= completing.status < 300, "the completing append did not succeed"
    names = {n.lower() for n, _ in reference.headers} - _NOT_APP_HEADERS
    have = {n.lower() for n, _ in completing.headers}
    assert names <= have, f"the completing response lacks headers the app reads on a one-request upload: {sorted(names - have)}"


_NOT_APP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "location", "content-type",
                    "upload-offset", "upload-complete", "upload-incomplete", "upload-length", "upload-limit",
                    "upload-draft-interop-version", "server"}


def _sf_problem(name: str, value: str, integer_limit_ok: bool) -> str | None:
    """Why a field the server sent is not valid Structured Fields of its type (None: it is, or not an upload field)."""
    name = name.lower()
    if name == "upload-limit":
        if parse_dictionary(value) is not None or (integer_limit_ok and isinstance(parse_item(value), int)):
            return None
        return "not a Dictionary"
    item = parse_item(value)
    if name in ("upload-offset", "upload-length", "upload-draft-interop-version"):
        return None if isinstance(item, int) and not isinstance(item, bool) and item >= 0 else "not a non-negative Integer"
    if name in ("upload-complete", "upload-incomplete"):
        return None if isinstance(item, bool) else "not a Boolean"
    return None


@then("every upload field the server sent was valid Structured Fields")
def fields_valid(world: ServerWorld) -> None:
    integer_ok = world.assumptions["AMB-33"] == "integer-or-dictionary"  # Apple's article example form
    problems = []
    for exchange in world.probe.log:
        for where, headers in [("final", exchange.headers)] + [(f"{i.status}", i.headers) for i in exchange.informational]:
            for name, value in headers:
                problem = _sf_problem(name, value, integer_ok)
                if problem:
                    problems.append(f"{exchange.method} {where}: {name}: {value!r} is {problem}")
    assert not problems, "upload fields that are not valid Structured Fields: " + "; ".join(problems)
