"""An out-of-process SYSTEM adapter that calls the other protocol's extension methods.

It is the reference SYSTEM served exactly as `serve-reference --role system` serves it, except that it
reaches every extension process through `CrossedExtension`: where the reference calls `processJobs()`
(27, macOS) this system calls `process()`, and `notifyTermination()` for `willTerminate()`; on 26.x
the other way round. Protocol 1.2 names the method called on the wire, so the harness must trace these
calls under the method really called and fail TER-01/TER-02 and VER-04 (tests/test_adapters.py).

Run: `python -m tests.adapters.crossed_protocol_system` from the repository root.
"""

from __future__ import annotations

from typing import Any

from bru_conformance.adapters.serve import serve
from bru_conformance.protocol import ProcessingResult
from reference_impl.system import ReferenceSystem, drive


class CrossedExtension:
    """The extension seen through the other protocol: each call goes out as its twin."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def process(self) -> ProcessingResult:
        return drive(self._inner.process_jobs())

    def notify_termination(self) -> None:
        drive(self._inner.will_terminate())

    async def process_jobs(self) -> ProcessingResult:
        return self._inner.process()

    async def will_terminate(self) -> None:
        self._inner.notify_termination()


class _CrossedApp:
    def __init__(self, app: Any) -> None:
        self._app = app

    def make_extension(self) -> CrossedExtension:
        return CrossedExtension(self._app.make_extension())


class CrossedProtocolSystem(ReferenceSystem):
    """The reference SYSTEM, calling the extension's methods of the protocol its profile does not use."""

    def attach_app(self, app: Any) -> None:
        super().attach_app(_CrossedApp(app))


if __name__ == "__main__":
    serve("system", CrossedProtocolSystem)
