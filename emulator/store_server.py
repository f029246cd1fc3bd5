"""The embedded AWS store: moto's server application, in a process of its own.

moto's stock server closes the connection after every request; this one speaks HTTP/1.1 with
keep-alive, so boto3's connection pools reuse their sockets. It prints ``READY host:port`` once
it listens (the port may be 0: the system picks one) and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from emulator.motopatch import light_stream_snapshots

__all__ = ["main"]


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: one line per AWS call would drown the stack's own log."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAliveHandler)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    print(f"READY {args.host}:{port}", flush=True)
    try:
        with light_stream_snapshots():  # transactions stay fast as the stream grows
            server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
