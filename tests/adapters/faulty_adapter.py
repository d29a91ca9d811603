"""A deliberately broken out-of-process APP adapter, for the fault-containment tests.

It serves the reference APP correctly, except that the first processing call it ever sees
(`extension.process` or `extension.processJobs`, across restarts: a flag file remembers) triggers the
fault named on the command line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bru_conformance.adapters.serve import ReferenceServer

MODE = sys.argv[1]
FLAG = os.environ["BRU_FAULT_FLAG"]


TIMES = 2 if MODE == "bad-json-twice" else 1  # bad-json-twice: the first two processes each break once


def fault_now() -> bool:
    done = int(Path(FLAG).read_text() or 0) if os.path.exists(FLAG) else 0
    if done >= TIMES:
        return False
    with open(FLAG, "w") as fh:
        fh.write(str(done + 1))
    print(f"faulty adapter: process {done + 1} of pid {os.getpid()}", file=sys.stderr, flush=True)
    return True


class Faulty(ReferenceServer):
    def handle(self, method, params):  # type: ignore[no-untyped-def]
        if method in ("extension.process", "extension.processJobs") and fault_now():
            print(f"faulty adapter: injecting {MODE}", file=sys.stderr, flush=True)
            out = sys.stdout.buffer
            if MODE == "exit":
                os._exit(7)
            if MODE == "hang":
                ready = os.environ.get("BRU_FAULT_READY")  # a FIFO a test waits on: "the adapter hangs now"
                if ready:
                    with open(ready, "wb") as fifo:
                        fifo.write(b"hanging\n")
                time.sleep(3600)
            if MODE in ("bad-json", "bad-json-twice"):
                out.write(b"{this is not json\n")
                out.flush()
            elif MODE == "schema":
                out.write(json.dumps({"jsonrpc": "2.0", "id": 999, "method": "library.fetchJobs",
                                      "params": {"session": params["session"], "action": "everything"}}).encode() + b"\n")
                out.flush()
            elif MODE == "unknown-id":
                out.write(json.dumps({"jsonrpc": "2.0", "id": 424242, "result": "completed"}).encode() + b"\n")
                out.flush()
            elif MODE == "flood":
                out.write(b'{"jsonrpc":"2.0","method":"echo","params":{"value":"' + b"x" * (2 << 20) + b'"}}\n')
                out.flush()
            time.sleep(3600)  # whatever the harness does next, this process must be killed
        return super().handle(method, params)


if __name__ == "__main__":
    if MODE == "die-at-start":
        sys.exit(3)
    Faulty("app").endpoint.serve_forever()
