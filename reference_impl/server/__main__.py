"""`python -m reference_impl.server --port N --interop 8 [--max-size B] [--fault NAME[=VALUE]]...`

Runs the reference server on 127.0.0.1 until interrupted, for poking at it by hand or pointing an
app's server adapter at it.
"""

from __future__ import annotations

import argparse
import threading

from .config import FAULT_SWITCHES, ServerConfig
from .server import UploadServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_impl.server", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--interop", type=int, action="append", help="interop version to serve (repeatable)")
    parser.add_argument("--max-size", type=int, default=None)
    parser.add_argument("--fault", action="append", default=[], help=f"one of {sorted(FAULT_SWITCHES)}")
    args = parser.parse_args(argv)
    config = ServerConfig(**({"interop_versions": tuple(args.interop)} if args.interop else {}), max_size=args.max_size)
    for fault in args.fault:
        name, _, value = fault.partition("=")
        config = config.with_fault(name, int(value) if value else True)
    server = UploadServer(config, port=args.port).start()
    print(f"serving interop {list(config.interop_versions)} at {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
