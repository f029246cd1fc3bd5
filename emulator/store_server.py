"""The embedded AWS store: moto's server application, in a process of its own.

moto's stock server closes the connection after every request; this one speaks HTTP/1.1 with
keep-alive, so boto3's connection pools reuse their sockets. It prints ``READY host:port`` once
it listens (the port may be 0: the system picks one) and serves until SIGTERM. Browser
uploads (S3 form POSTs) are held to their signed policy first, as S3 holds them
(emulator/s3_post_policy.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from emulator.motopatch import (
    bounded_iterators,
    cheap_transactions,
    partition_queries,
    plain_json_answers,
)
from emulator.s3_post_policy import PostPolicyGate

__all__ = ["SerialApp", "main"]


class SerialApp:
    """The moto WSGI app, one request at a time.

    DynamoDB applies each request atomically (a conditional update is checked and written in
    one step); moto's threaded server interleaves requests in threads and does neither (and its
    transactions can fail with a 500 when another thread changes the table meanwhile).
    Serialising requests restores DynamoDB's atomicity per request; clients still race, request
    by request, as they would on AWS.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: one line per AWS call would drown the stack's own log."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    # S3's POST policies are checked outside the lock: parsing a form needs no serialising.
    app = PostPolicyGate(
        SerialApp(DomainDispatcherApplication(create_backend_app)),
        secret=lambda: os.environ.get("AWS_SECRET_ACCESS_KEY"),
    )
    server = make_server(args.host, args.port, app, threaded=True, request_handler=KeepAliveHandler)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    print(f"READY {args.host}:{port}", flush=True)
    try:
        # Transactions stay fast as the stream grows, Queries as the table grows.
        with (
            cheap_transactions(),
            partition_queries(),
            plain_json_answers(),
            bounded_iterators(),
        ):
            server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
