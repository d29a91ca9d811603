"""Benchmark: uploads through `HttpTransport` to the reference server on loopback, and what a resumption costs.

Why a separate module: `bru_conformance.bench` measures the SYSTEM model on virtual time; this one measures real sockets
(h11 on both sides, one Python process, so client and server share the interpreter lock: the figures are
a floor for the transport, not a network measurement). Bodies are built before the clock starts so the
figures are the wire's, and every stored upload is checked by sha256 after the clock stops. A fresh server
per batch bounds its memory (the reference server keeps every upload it ever stored).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator

from bru_conformance.protocol import AssetResource, Request


def http_uploads(count: int = 1000, size: int = 1_000_000, *, interop_version: int = 8, batch: int = 100,
                 resumption_runs: int = 30) -> Iterator[str]:
    """Upload `count` resources of `size` bytes, then time `resumption_runs` uploads cut at half and resumed
    against as many uninterrupted ones; yields `uploads/s`, `MB/s`, `wall`, and the resumption's cost."""
    from bru_conformance import reference
    from bru_conformance.protocol import resource_bytes

    HttpTransport = reference.module("http_transport").HttpTransport  # noqa: N806
    ServerConfig, running_server = reference.module("server").ServerConfig, reference.module("server").running_server  # noqa: N806

    config = ServerConfig(interop_versions=(interop_version,))
    wall = built = 0.0
    verified = 0
    for first in range(0, count, batch):
        resources = [AssetResource(f"bench-{i}", f"a{i}", size=size) for i in range(first, min(first + batch, count))]
        started = time.perf_counter()
        bodies = {r.resource_id: resource_bytes(r) for r in resources}
        built += time.perf_counter() - started
        transport = HttpTransport(interop_version, body=lambda r: bodies[r.resource_id])  # noqa: B023 - used in this batch only
        with running_server(config) as (base, server):
            destination = Request.make(base + "/upload", headers={"Authorization": "Bearer bench-token"})
            started = time.perf_counter()
            results = [transport.attempt(destination, r) for r in resources]
            wall += time.perf_counter() - started
            stored = server.uploads
        for r, result in zip(resources, results, strict=True):
            view = stored.get((result.headers or {}).get("x-server-id", ""))
            if not result.succeeded or view is None or hashlib.sha256(view.data).digest() != hashlib.sha256(bodies[r.resource_id]).digest():
                raise RuntimeError(f"upload of {r.resource_id} failed or stored other bytes: {result}")
            verified += 1
    yield f"uploads {count} x {size:,} bytes, interop {interop_version}, {batch} per server; bytes verified {verified}/{count}"
    yield f"body generation {built / max(count, 1) * 1000:.2f} ms per upload (not counted)"
    yield f"wall {wall:.2f} s"
    yield f"uploads/s {count / wall:,.1f}"
    yield f"MB/s {count * size / wall / 1e6:,.1f}"
    yield from _resumption_cost(size, interop_version, resumption_runs)


def _resumption_cost(size: int, interop_version: int, runs: int) -> Iterator[str]:
    """Median time of an upload cut at half (after its 104) then resumed with HEAD + PATCH, vs an uninterrupted one,
    the two interleaved (a median: one upload takes milliseconds, so a neighbour's burst would move a mean)."""
    from bru_conformance import reference
    from bru_conformance.protocol import resource_bytes

    HttpTransport = reference.module("http_transport").HttpTransport  # noqa: N806
    ServerConfig, running_server = reference.module("server").ServerConfig, reference.module("server").running_server  # noqa: N806

    plain: list[float] = []
    resumed: list[float] = []
    extra = 0
    pairs = [tuple(AssetResource(f"{kind}-{i}", f"a{i}", size=size) for kind in ("whole", "cut")) for i in range(runs)]
    bodies = {r.resource_id: resource_bytes(r) for pair in pairs for r in pair}
    transport = HttpTransport(interop_version, body=lambda r: bodies.get(r.resource_id) or resource_bytes(r),
                              cut_creations={cut.resource_id: size // 2 for _, cut in pairs})
    with running_server(ServerConfig(interop_versions=(interop_version,))) as (base, server):
        destination = Request.make(base + "/upload")
        transport.attempt(destination, AssetResource("warm-up", "w", size=1))  # the preflight, out of the timing
        for whole, cut in pairs:
            for resource, times in ((whole, plain), (cut, resumed)):
                started = time.perf_counter()
                result = transport.attempt(destination, resource)
                times.append(time.perf_counter() - started)
                if not result.succeeded:
                    raise RuntimeError(f"{resource.resource_id} failed: {result}")
            log = transport.log[-1]
            if log.resumptions != 1:
                raise RuntimeError(f"the cut upload resumed {log.resumptions} times, not once")
            extra += log.bytes_sent - size
        if len([e for e in server.exchanges if e["kind"] == "append"]) != runs:
            raise RuntimeError("the server did not see one PATCH per cut upload")
    p, r = statistics.median(plain) * 1000, statistics.median(resumed) * 1000
    yield f"resumption: uninterrupted {p:.2f} ms, cut at half and resumed {r:.2f} ms ({r - p:+.2f} ms, x{r / p:.2f}), medians of {runs} runs"
    yield f"resumption: bytes sent twice {extra / runs:,.0f} per resumed upload (sent before the cut, not yet stored)"
