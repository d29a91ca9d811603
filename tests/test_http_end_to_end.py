"""The reference SYSTEM and APP back a library up to the reference server over loopback, through `HttpTransport`.

Why: the suite's SYSTEM checks run on a simulated server; these tests show the same SYSTEM, given a real
transport, puts every photo's exact bytes on a real resumable-upload server, with the preflight sent once
per origin (NET-02, NET-05), an interrupted creation resumed through HEAD + PATCH after its 104 (NET-01,
NET-07), lower-cased response fields reaching the app (NET-09), plain uploads after a 501 preflight, and
no traffic while only an expensive network is offered to a job that forbids it (NET-10).
Each test starts and stops its own server; the SYSTEM runs on virtual time, only sockets are real.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from bru_conformance.assumptions import Assumptions
from bru_conformance.contracts import AppAccount
from bru_conformance.profiles import get_profile
from bru_conformance.protocol import Asset, AssetResource, Network, ProcessingResult, Request, UploadJobOptions, URLErrorCode, resource_bytes
from reference_impl import ReferenceApp, ReferenceSystem
from reference_impl.http_transport import HttpTransport
from reference_impl.server import ServerConfig, running_server

PHOTOS = 20
SIZE = 64 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start(base_url: str, transport: HttpTransport) -> tuple[ReferenceSystem, ReferenceApp, list[AssetResource]]:
    """PHOTOS one-photo assets, the app signed in to `base_url` and backup turned on (`bru_conformance.bench`'s `_backup`)."""
    system = ReferenceSystem(get_profile("ios-27.0"), Assumptions(), transport=transport)
    system.install_app(url_base=base_url + "/")
    system.set_authorization(system.user_answer)
    resources = [AssetResource(f"r{i}", f"a{i}", filename=f"IMG_{i:04}.HEIC", size=SIZE + i) for i in range(PHOTOS)]
    system.add_assets(Asset(r.asset_id, (r,)) for r in resources)
    app = ReferenceApp(system, system.profile, AppAccount(upload_url=base_url + "/upload"))
    system.attach_app(app)
    assert app.turn_on_backup()
    return system, app, resources


def finish(system: ReferenceSystem, hours: int = 48) -> None:
    """Advance virtual time until a processing call completed with nothing in flight."""
    for _ in range(hours):
        system.advance(3600.0)
        calls = system.processing_calls()
        if calls and calls[-1].result is ProcessingResult.COMPLETED and not system.in_flight():
            return


def backup(base_url: str, transport: HttpTransport) -> tuple[ReferenceSystem, ReferenceApp, list[AssetResource]]:
    system, app, resources = start(base_url, transport)
    finish(system)
    return system, app, resources


def assert_all_stored(server, app: ReferenceApp, resources: list[AssetResource]) -> None:
    """Every photo confirmed by the server's id header, and the upload it names holds exactly its bytes."""
    uploaded = app.uploaded_resources()
    assert sorted(uploaded) == sorted(r.resource_id for r in resources)
    stored = server.uploads
    for r in resources:
        view = stored[uploaded[r.resource_id]]
        assert view.complete and sha(view.data) == sha(resource_bytes(r)), r.resource_id


@pytest.mark.parametrize("version", [6, 8])
def test_backup_over_http_with_a_cut_resumed(version):
    cut_at = 20_000
    transport = HttpTransport(version, cut_creations={"r7": cut_at})
    with running_server(ServerConfig(interop_versions=(version,), extra={"X-Backup-Note": "Kept"})) as (base, server):
        # the HEAD goes out once the server has taken in what came before the cut (else 0 is the right offset,
        # and the resumption this test is about would start from the beginning)
        transport.after_cut = lambda location: server.wait_for_exchanges(
            lambda log: any(e["kind"] == "creation" and e["status"] is None and e["outcome"] for e in log))
        system, app, resources = backup(base, transport)
        assert_all_stored(server, app, resources)
        exchanges = server.exchanges
    kinds = [e["kind"] for e in exchanges]
    assert kinds.count("preflight") == 1 and transport.preflights == {base: 1}  # NET-02, NET-05: once, cached
    assert kinds.count("creation") == PHOTOS and kinds.count("plain") == 0
    assert all(e["interop"] == str(version) for e in exchanges if e["kind"] == "creation")
    # NET-07: the cut creation got its 104; HEAD then PATCH on that Location finished it
    cut = next(e for e in exchanges if e["kind"] == "creation" and e["status"] is None)
    location = cut["upload_id"]
    head, patch = (next(e for e in exchanges if e["kind"] == k and e["upload_id"] == location) for k in ("offset", "append"))
    offset = int(dict(head["response_headers"])["upload-offset"])
    assert 0 < offset <= cut_at and patch["body_received"] == SIZE + 7 - offset
    assert app.uploaded_resources()["r7"] == location
    patch_headers = {n.lower(): v for n, v in patch["headers"]}
    assert patch_headers["upload-offset"] == str(offset) and patch_headers["content-type"] == "application/partial-upload"
    attempts = {a.resource_id: a for a in transport.log}
    assert attempts["r7"].resumptions == 1 and [r.method for r in attempts["r7"].requests] == ["POST", "HEAD", "PATCH"]
    assert all(a.resumptions == 0 for rid, a in attempts.items() if rid != "r7")
    # NET-09: the final response's fields, lower-cased, reached the jobs (the app found x-server-id in them)
    assert all(a.succeeded and a.status in (200, 201) for a in transport.log)
    assert not any(j.state.value == "failed" for j in system.queue.jobs.values())
    text = json.dumps([a.to_dict() for a in transport.log])
    assert "token-1" not in text and "[REDACTED]" in text  # Authorization masked in the log


def test_response_field_names_reach_the_job_lower_cased():
    transport = HttpTransport(8)
    with running_server(ServerConfig(interop_versions=(8,), extra={"X-Backup-Note": "Kept"})) as (base, _server):
        result = transport.attempt(Request.make(base + "/upload", headers={"Authorization": "Bearer token-9"}),
                                   AssetResource("r1", "a1", size=1000))
    assert result.succeeded and result.headers is not None
    assert result.headers["x-backup-note"] == "Kept" and all(k == k.lower() for k in result.headers)


def test_a_501_preflight_gets_plain_uploads():
    transport = HttpTransport(8)
    with running_server(ServerConfig(interop_versions=())) as (base, server):
        _system, app, resources = backup(base, transport)
        assert_all_stored(server, app, resources)
        exchanges = server.exchanges
    assert transport.capabilities == {base: False} and transport.preflights == {base: 1}
    assert [e["status"] for e in exchanges if e["kind"] == "preflight"] == [501]
    creations = [e for e in exchanges if e["method"] == "POST"]
    assert len(creations) == PHOTOS and all(e["kind"] == "plain" for e in creations)
    assert not any(n.lower().startswith("upload-") for e in creations for n, _ in e["headers"])


def test_a_server_that_drops_mid_body_is_resumed():
    transport = HttpTransport(8)
    resource = AssetResource("r1", "a1", size=300_000)
    with running_server(ServerConfig(interop_versions=(8,), drop_mid_body=70_000)) as (base, server):
        result = transport.attempt(Request.make(base + "/upload"), resource)
        assert result.succeeded and result.headers is not None
        assert sha(server.uploads[result.headers["x-server-id"]].data) == sha(resource_bytes(resource))
        assert [e["kind"] for e in server.exchanges] == ["preflight", "creation", "offset", "append"]


def test_without_a_104_a_cut_is_not_resumed_and_the_app_retries():
    transport = HttpTransport(8, cut_creations={"r3": 10_000}, timeout=0.5)
    with running_server(ServerConfig(interop_versions=(8,), no_104=True)) as (base, server):
        _system, app, resources = backup(base, transport)
        assert_all_stored(server, app, resources)
        kinds = [e["kind"] for e in server.exchanges]
    assert "offset" not in kinds and "append" not in kinds
    r3 = [a for a in transport.log if a.resource_id == "r3"]
    assert [a.succeeded for a in r3] == [False, True] and r3[0].error == URLErrorCode.NETWORK_CONNECTION_LOST.name


def test_expensive_network_forbidden_holds_the_jobs():
    transport = HttpTransport(8)
    with running_server(ServerConfig(interop_versions=(8,))) as (base, server):
        system, app, resources = start(base, transport)
        system.set_upload_job_extension_options(UploadJobOptions(prevents_expensive_network_access=True))
        for _ in range(2000):  # until the first processing call has created jobs, before any has run
            if system.in_flight():
                break
            system.advance(0.05)
        assert system.in_flight() and not transport.log
        system.set_network(Network.CELLULAR)
        system.advance(3 * 3600.0)
        assert not transport.log and server.exchanges == []  # NET-10 / ACT-23: not even a preflight
        system.set_network(Network.WIFI)
        finish(system)
        assert_all_stored(server, app, resources)


def test_an_unreachable_origin_fails_the_attempt_and_is_not_cached():
    with running_server() as (base, _server):
        pass  # the port is free again
    transport = HttpTransport(8, timeout=1.0)
    result = transport.attempt(Request.make(base + "/upload"), AssetResource("r1", "a1", size=10))
    assert not result.succeeded and result.headers is None and result.error is not None
    assert result.error.code is URLErrorCode.CANNOT_CONNECT_TO_HOST and transport.capabilities == {}


def test_the_http_benchmark_prints_its_figures() -> None:
    """`bench --http` (issue 14): uploads/s, MB/s and a resumption's cost, every stored upload checked."""
    from tests.cli import bru

    proc = bru("bench", "--http", "--uploads", "20", "--size", "20000", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "bytes verified 20/20" in out and "uploads/s " in out and "MB/s " in out and "resumption: uninterrupted" in out
