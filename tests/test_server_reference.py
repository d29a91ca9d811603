"""The reference resumable-upload server, driven over loopback by the probe, per interop version.

Each test starts and stops its own server; nothing sleeps: the probe blocks on socket reads only,
with a few seconds of socket timeout as a safety net. The fault-switch tests check that each switch
produces the wire behaviour it names, so server checks built on them can be trusted to fail.
"""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

from bru_conformance.scenario.probe import Probe, parse_dictionary, parse_item
from bru_conformance.scenario.redact import MASK
from reference_impl.server import FAULT_SWITCHES, ServerConfig, running_server

VERSIONS = (3, 5, 6, 7, 8)
BODY = bytes((i * 7 + i // 251) % 256 for i in range(150_000))
COMPLETION = {3: "upload-incomplete", 5: "upload-complete", 6: "upload-complete", 7: "upload-complete", 8: "upload-complete"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_incomplete(v: int, exchange) -> bool:
    """What the response's completion field says, in version v's vocabulary."""
    value = parse_item(exchange.header(COMPLETION[v]))
    return value is True if v == 3 else value is False


@pytest.fixture
def probe_for():
    def make(base_url: str, v: int | None) -> Probe:
        return Probe(base_url, interop=v, timeout=5.0)
    return make


# --- preflight ---------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VERSIONS)
def test_preflight_answers_200_with_structured_upload_limit(v, probe_for):
    with running_server() as (base, _srv):
        ex = probe_for(base, v).preflight()
    assert ex.status == 200 and ex.error is None
    assert parse_dictionary(ex.header("upload-limit")) == {"min-size": 0}
    assert ex.header("accept-patch") == "application/partial-upload"
    with running_server(max_size=1_000_000) as (base, _srv):
        ex = probe_for(base, v).preflight(interop=None)
    assert parse_dictionary(ex.header("upload-limit")) == {"max-size": 1_000_000}


def test_preflight_of_a_server_without_resumable_support_is_501():
    with running_server(interop_versions=()) as (base, srv):
        p = Probe(base, interop=8)
        assert p.preflight().status == 501
        ex = p.create(BODY[:1000])
        assert ex.informational == [] and ex.status == 201 and ex.location is None
        assert next(iter(srv.uploads.values())).data == BODY[:1000]


# --- creation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VERSIONS)
def test_creation_with_interop_header_gets_104_with_location_before_final(v, probe_for):
    with running_server() as (base, srv):
        ex = probe_for(base, v).create(BODY)
        stored = srv.upload_at(ex.location)
        log = srv.exchanges
    assert [i.status for i in ex.informational] == [104]
    interim = ex.informational[0]
    assert interim.reason == "Upload Resumption Supported"
    assert interim.header("upload-draft-interop-version") == str(v)
    assert interim.header("location").startswith(base + "/upload/")
    assert ex.status == 201 and ex.header("location") == interim.header("location")
    assert ex.header("x-server-id") == stored.id
    assert stored.complete and sha(stored.data) == sha(BODY)
    if v >= 6:
        assert parse_dictionary(interim.header("upload-limit")) == {"min-size": 0}
        assert parse_dictionary(ex.header("upload-limit")) is not None
    else:
        assert interim.header("upload-limit") is None
    assert (ex.header("upload-offset") == str(len(BODY))) == (v <= 6)
    assert log[-1]["kind"] == "creation" and log[-1]["informational"][0]["status"] == 104


def test_every_upload_gets_a_fresh_location():
    with running_server() as (base, _srv):
        p = Probe(base, interop=8)
        locations = {p.create(BODY[:100]).location for _ in range(3)}
    assert len(locations) == 3 and None not in locations


@pytest.mark.parametrize("v", VERSIONS)
def test_without_known_interop_version_no_104_and_plain_upload(v):
    with running_server(interop_versions=(v,)) as (base, srv):
        for interop in (None, 99, 4 if v != 4 else 2):
            ex = Probe(base, interop=interop).create(BODY[:5000], completion=v)
            assert ex.informational == [] and ex.status == 201 and ex.location is None
            assert ex.header("x-server-id") in srv.uploads
        uploads = list(srv.uploads.values())
    assert len(uploads) == 3
    assert all(u.data == BODY[:5000] and u.complete and not u.resumable for u in uploads)


@pytest.mark.parametrize("v", VERSIONS)
def test_creation_carrying_upload_offset_is_refused(v, probe_for):
    with running_server() as (base, srv):
        ex = probe_for(base, v).create(BODY[:1000], headers={"Upload-Offset": "0"})
        assert ex.status == 400 and ex.informational == []
        assert srv.uploads == {}


@pytest.mark.parametrize("v", VERSIONS)
def test_incomplete_creation_then_append_completes(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        first = p.create(BODY[:70_000], complete=False, upload_length=len(BODY) if v >= 6 else None)
        assert first.status == 201 and is_incomplete(v, first)
        head = p.head(first.location)
        assert head.header("upload-offset") == "70000" and is_incomplete(v, head)
        done = p.append(first.location, 70_000, BODY[70_000:])
        assert done.status in (200, 201) and sha(srv.upload_at(first.location).data) == sha(BODY)


# --- interruption and resumption ---------------------------------------------------------------


@pytest.mark.parametrize("v", VERSIONS)
def test_cut_body_then_head_then_patch_restores_the_original(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        cut = p.create(BODY, cut_after=60_000)
        assert cut.cut_after == 60_000 and cut.status is None and cut.interims(104)
        head = p.head(cut.location)
        assert head.status == (204 if v == 3 else head.status) and head.status in (200, 204)
        offset = int(head.header("upload-offset"))
        assert 0 <= offset <= cut.bytes_sent
        assert is_incomplete(v, head)
        assert head.header("cache-control") == "no-store"
        assert (head.header("upload-length") == str(len(BODY))) == (v >= 6)
        done = p.append(cut.location, offset, BODY[offset:])
        stored = srv.upload_at(cut.location)
    assert stored.complete and sha(stored.data) == sha(BODY)
    if v >= 7:
        assert done.status == 200 and done.header("upload-complete") == "?1" and done.header("upload-offset") is None
    else:
        assert done.status == 201 and done.header("upload-offset") == str(len(BODY))
    assert done.header("x-server-id") == stored.id


def test_head_may_answer_200_from_interop_5_but_not_3():
    with running_server(head_status=200) as (base, _srv):
        for v, expected in ((3, 204), (5, 200), (8, 200)):
            p = Probe(base, interop=v)
            assert p.head(p.create(BODY[:10], complete=False).location).status == expected


@pytest.mark.parametrize("v", VERSIONS)
def test_wrong_offset_is_409_with_the_correct_offset(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        loc = p.create(BODY[:1000], complete=False).location
        ex = p.append(loc, 400, BODY[400:])
        assert ex.status == 409 and ex.header("upload-offset") == "1000"
        assert srv.upload_at(loc).data == BODY[:1000]
        if v >= 6:
            assert json.loads(ex.body)["expected-offset"] == 1000


@pytest.mark.parametrize("v", VERSIONS)
def test_delete_then_head_is_404(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        loc = p.create(BODY[:1000], complete=False).location
        assert p.delete(loc).status == 204
        assert p.head(loc).status == 404
        assert p.append(loc, 1000, b"x").status == 404
        assert srv.upload_at(loc).cancelled


@pytest.mark.parametrize("v", VERSIONS)
def test_completed_upload_is_never_modified(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        loc = p.create(BODY[:1000]).location
        ex = p.append(loc, 1000, b"more")
        assert ex.status == 400 and srv.upload_at(loc).data == BODY[:1000]


@pytest.mark.parametrize("v", VERSIONS)
def test_partial_upload_media_type_required_from_6(v, probe_for):
    with running_server() as (base, _srv):
        p = probe_for(base, v)
        loc = p.create(BODY[:100], complete=False).location
        ex = p.append(loc, 100, b"abc", content_type="application/octet-stream")
    assert ex.status == (415 if v >= 6 else 201)


@pytest.mark.parametrize("v", (7, 8))
def test_append_without_upload_complete_rejected_from_7(v, probe_for):
    with running_server() as (base, _srv):
        p = probe_for(base, v)
        loc = p.create(BODY[:100], complete=False).location
        assert p.append(loc, 100, b"abc", complete=None).status == 400
        ok = p.append(loc, 100, b"abc", complete=False)
    assert ok.status == 204 and ok.header("upload-complete") == "?0" and ok.header("upload-offset") is None


@pytest.mark.parametrize("v", (6, 7, 8))
def test_bytes_past_declared_length_are_not_stored(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        ex = p.create(BODY[:1500], complete=False, upload_length=1000)
        assert ex.status == 400
        stored = next(iter(srv.uploads.values()))
        assert stored.data == BODY[:1000]
        head = p.head(stored.location)
    assert head.status == (404 if v >= 7 else 204)


@pytest.mark.parametrize("v", VERSIONS)
def test_half_open_transfer_is_cut_off_by_a_new_request(v, probe_for):
    with running_server() as (base, srv):
        p = probe_for(base, v)
        with p.hold(BODY, send=40_000) as held:
            loc = held.record.location
            head = p.head(loc)
            offset = int(head.header("upload-offset"))
            assert offset <= 40_000
            done = p.append(loc, offset, BODY[offset:])
            assert done.status in (200, 201)
            stale = held.finish()
        stored = srv.upload_at(loc)
    assert stale.status is None and stale.held
    assert stored.complete and sha(stored.data) == sha(BODY)


def test_expect_continue_still_gets_its_100_after_the_104():
    with running_server() as (base, srv):
        held = Probe(base, interop=8).hold(BODY[:100], send=0, headers={"Expect": "100-continue"}, wait_for=100)
        assert [i.status for i in held.record.informational] == [104, 100]
        assert held.finish().status == 201 and srv.upload_at(held.record.location).data == BODY[:100]


# --- records, redaction, lifecycle ---------------------------------------------------------------


def test_probe_records_are_json_ready_and_redacted():
    with running_server() as (base, srv):
        p = Probe(base, interop=8, headers={"Authorization": "Bearer s3cr3t", "Cookie": "session=abc"})
        p.create(BODY[:10])
        log = srv.exchanges
    records = json.loads(json.dumps(p.records()))
    text = json.dumps(records) + json.dumps(log)
    assert "s3cr3t" not in text and "session=abc" not in text
    headers = dict(records[0]["request_headers"])
    assert headers["Authorization"] == MASK and headers["Cookie"] == MASK
    assert records[0]["informational"][0]["status"] == 104 and records[0]["status"] == 201


def test_stopping_closes_everything_even_with_a_half_open_connection():
    with running_server() as (base, srv):
        held = Probe(base, interop=8).hold(BODY, send=1000)
        port = srv.port
    assert srv.leaked_threads == []
    held.cut()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


# --- fault switches ----------------------------------------------------------------------------


def fault_early_final(base, srv):
    held = Probe(base, interop=8).hold(BODY, send=0, wait_for="final")
    assert held.record.status == 201 and held.record.final_before_body_end
    held.finish()
    assert srv.upload_at(held.record.location).data == b""


def fault_no_interop_in_104(base, srv):
    ex = Probe(base, interop=8).create(BODY[:100])
    assert ex.interims(104) and ex.interims(104)[0].header("upload-draft-interop-version") is None


def fault_bare_integer_limit(base, srv):
    limit = Probe(base, interop=8).preflight().header("upload-limit")
    assert limit == "107374182400" and parse_dictionary(limit) is None and parse_item(limit) == 107374182400


def fault_drop_mid_body(base, srv):
    ex = Probe(base, interop=8).create(BODY)
    assert ex.status is None and ex.error is not None
    stored = next(iter(srv.uploads.values()))
    assert stored.data == BODY[:1000] and not stored.complete
    assert srv.exchanges[-1]["outcome"] == "dropped"


def fault_decreasing_offset(base, srv):
    p = Probe(base, interop=8)
    loc = p.create(BODY[:1000], complete=False).location
    first, second = (int(p.head(loc).header("upload-offset")) for _ in range(2))
    assert first == 1000 and second < first


def fault_modify_completed(base, srv):
    p = Probe(base, interop=8)
    loc = p.create(BODY[:1000]).location
    assert p.append(loc, 1000, b"more").status == 200
    assert srv.upload_at(loc).data == BODY[:1000] + b"more"


def fault_no_104(base, srv):
    ex = Probe(base, interop=8).create(BODY[:100])
    assert ex.informational == [] and ex.status == 201 and ex.header("location")


def fault_wrong_location_on_final(base, srv):
    ex = Probe(base, interop=8).create(BODY[:100])
    assert ex.header("location") and ex.header("location") != ex.interims(104)[0].header("location")


def fault_store_past_length(base, srv):
    ex = Probe(base, interop=8).create(BODY[:1500], complete=False, upload_length=1000)
    assert ex.status == 201 and srv.upload_at(ex.location).data == BODY[:1500]


def fault_no_limit_in_104(base, srv):
    ex = Probe(base, interop=8).create(BODY[:100])
    assert ex.interims(104)[0].header("upload-limit") is None and ex.header("upload-limit")


def fault_head_without_no_store(base, srv):
    p = Probe(base, interop=8)
    head = p.head(p.create(BODY[:10], complete=False).location)
    assert head.status == 204 and head.header("cache-control") is None


def fault_conflict_without_offset(base, srv):
    p = Probe(base, interop=8)
    ex = p.append(p.create(BODY[:10], complete=False).location, 3, b"x")
    assert ex.status == 409 and ex.header("upload-offset") is None


def fault_accept_offset_on_creation(base, srv):
    ex = Probe(base, interop=8).create(BODY[:10], headers={"Upload-Offset": "0"})
    assert ex.status == 201 and ex.interims(104)


def fault_ignore_concurrency(base, srv):
    p = Probe(base, interop=8)
    held = p.hold(BODY, send=40_000)
    assert int(p.head(held.record.location).header("upload-offset")) <= 40_000
    stale = held.finish()  # not cut off: the old transfer completes behind the HEAD's back
    assert stale.status == 201 and srv.upload_at(stale.location).data == BODY


def fault_headers_only_on_creation(base, srv):
    p = Probe(base, interop=8)
    whole = p.create(BODY)
    cut = p.create(BODY, cut_after=30_000)
    offset = int(p.head(cut.location).header("upload-offset"))
    done = p.append(cut.location, offset, BODY[offset:])
    assert whole.header("x-server-id") and done.status == 200 and done.header("x-server-id") is None


def fault_preflight_without_limit(base, srv):
    p = Probe(base, interop=8)
    ex = p.preflight()
    assert ex.status == 200 and ex.header("upload-limit") is None and ex.header("allow")
    assert parse_dictionary(p.create(BODY[:10]).interims(104)[0].header("upload-limit")) == {"min-size": 0}


def fault_preflight_501(base, srv):
    p = Probe(base, interop=8)
    assert p.preflight().status == 501 and p.preflight(interop=None).status == 501
    cut = p.create(BODY, cut_after=30_000)
    assert cut.interims(104)
    offset = int(p.head(cut.location).header("upload-offset"))
    assert p.append(cut.location, offset, BODY[offset:]).status == 200
    assert sha(srv.upload_at(cut.location).data) == sha(BODY)


def fault_preflight_needs_interop(base, srv):
    p = Probe(base, interop=8)
    assert p.preflight(interop=None).status == 501
    ex = p.preflight()
    assert ex.status == 200 and parse_dictionary(ex.header("upload-limit")) == {"min-size": 0}


def fault_resumable_without_interop(base, srv):
    ex = Probe(base, interop=None).create(BODY[:1000])
    assert "upload-draft-interop-version" not in {n.lower() for n, _ in ex.request_headers}
    assert "upload-complete" not in {n.lower() for n, _ in ex.request_headers}
    assert len(ex.interims(104)) == 1
    interim = ex.interims(104)[0]
    assert interim.header("upload-draft-interop-version") == "8" and interim.header("location")
    assert ex.status == 201 and ex.header("location") == interim.header("location")
    stored = srv.upload_at(ex.location)
    assert stored.resumable and stored.version == 8 and stored.complete and stored.data == BODY[:1000]
    assert Probe(base, interop=8).head(ex.location).header("upload-complete") == "?1"


def fault_incomplete_answered_200(base, srv):
    ex = Probe(base, interop=8).create(BODY[:1000], complete=False)
    assert ex.interims(104) and ex.status == 200
    assert ex.header("upload-complete") is None and ex.header("upload-incomplete") is None
    assert not srv.upload_at(ex.location).complete


def fault_ignore_length_mismatch(base, srv):
    p = Probe(base, interop=8)
    for declared in (2000, 500):
        ex = p.create(BODY[:1000], upload_length=declared)
        assert ex.status == 201 and ex.interims(104)
        stored = srv.upload_at(ex.location)
        assert stored.complete and stored.data == BODY[:1000]


def fault_cut_reported_complete(base, srv):
    p = Probe(base, interop=8)
    cut = p.create(BODY, cut_after=30_000)
    head = p.head(cut.location)
    assert head.status == 204 and head.header("upload-complete") == "?1"
    assert int(head.header("upload-offset")) < len(BODY) and not srv.upload_at(cut.location).complete


def fault_head_redirects_unknown(base, srv):
    p = Probe(base, interop=8)
    head = p.head(base + "/upload/0123456789abcdef")
    assert head.status == 301 and head.header("location")
    loc = p.create(BODY[:10], complete=False).location
    assert p.head(loc).status == 204  # known uploads are served as usual


def fault_append_not_marked_complete(base, srv):
    for v in (6, 8):
        p = Probe(base, interop=v)
        loc = p.create(BODY[:1000], complete=False).location
        done = p.append(loc, 1000, BODY[1000:2000])
        assert srv.upload_at(loc).complete and done.header("x-server-id")
        if v <= 6:
            assert done.status == 201 and done.header("upload-offset") is None
        else:
            assert done.status == 200 and done.header("upload-complete") == "?0"


def fault_delete_ignored(base, srv):
    p = Probe(base, interop=8)
    loc = p.create(BODY[:1000], complete=False).location
    assert p.delete(loc).status == 204
    head = p.head(loc)
    assert head.status == 204 and head.header("upload-offset") == "1000"
    assert p.append(loc, 1000, BODY[1000:2000]).status == 200
    stored = srv.upload_at(loc)
    assert stored.active and stored.complete and stored.data == BODY[:2000]


def fault_ignore_max_size(base, srv):
    p = Probe(base, interop=8)
    assert parse_dictionary(p.preflight().header("upload-limit")) == {"max-size": 1000}
    ex = p.create(BODY[:5000])
    assert ex.status == 201 and parse_dictionary(ex.header("upload-limit")) == {"max-size": 1000}
    assert srv.upload_at(ex.location).data == BODY[:5000]


def fault_offset_as_string(base, srv):
    p = Probe(base, interop=8)
    loc = p.create(BODY[:1000], complete=False).location
    head = p.head(loc)
    assert head.header("upload-offset") == '"1000"' and parse_item(head.header("upload-offset")) == "1000"
    assert p.append(loc, 3, b"x").header("upload-offset") == '"1000"'
    assert Probe(base, interop=6).create(BODY[:20_000]).header("upload-offset") == '"20000"'


FAULTS = {name: obj for name, obj in globals().items() if name.startswith("fault_")}
FAULT_VALUES = {"drop_mid_body": 1000}
FAULT_CONFIG = {"ignore_max_size": {"max_size": 1000}}  # extra ServerConfig fields a switch needs


def test_every_fault_switch_has_a_wire_test():
    assert {name.removeprefix("fault_") for name in FAULTS} == set(FAULT_SWITCHES)


@pytest.mark.parametrize("name", sorted(FAULT_SWITCHES))
def test_fault_switch_produces_its_wire_behaviour(name):
    config = ServerConfig(**FAULT_CONFIG.get(name, {})).with_fault(name, FAULT_VALUES.get(name, True))
    with running_server(config) as (base, srv):
        FAULTS[f"fault_{name}"](base, srv)
    assert srv.leaked_threads == []
