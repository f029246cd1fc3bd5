"""The embedded AWS store: moto's server application, in a process of its own.

moto's stock server (werkzeug's) closes the connection after every request; this one serves
moto's application with waitress, which keeps HTTP/1.1 connections alive, so boto3's connection
pools reuse their sockets instead of connecting (and the server starting a thread) per call.
It prints ``READY host:port`` once it listens (the port may be 0: the system picks one) and
serves until SIGTERM.

It answers only the stack: requests signed with the credentials in its environment
(``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, emulator/store_auth.py), browser uploads
(S3 form POSTs) held to their signed policy as S3 holds them (emulator/s3_post_policy.py). It
listens on loopback only, and moto's allow-every-origin CORS is off: a web page can neither
read its answers nor send it a preflighted request (a bucket's own CORS rules still apply).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server import werkzeug_app
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.s3.models import s3_backends
from moto.s3.utils import cors_matches_origin
from waitress import create_server

from emulator.config import loopback_host
from emulator.motopatch import (
    bounded_iterators,
    cheap_transactions,
    partition_queries,
    plain_json_answers,
)
from emulator.s3_post_policy import PostPolicyGate
from emulator.store_auth import SignedOnly
from emulator.store_credentials import StoreCredentials

__all__ = ["SerialApp", "SurvivorFreezer", "bucket_cors", "main"]


class SurvivorFreezer:
    """Keeps the garbage collector's pauses short as the store grows.

    The store holds every item and every stream record in Python objects, nearly all of them
    kept for the stack's life. CPython's full collections walk all of them: on a stack that has
    stored a few thousand messages each took 85-170 ms, every few seconds, with the whole store
    stopped (the tail of every latency measured through it). After each full collection the
    survivors are frozen (``gc.freeze``: left out of later collections), so the next ones walk
    only what was allocated since. A reference cycle among frozen objects that turns into
    garbage later is never freed; moto's stored items are plain trees, so that costs little.
    """

    def __init__(self) -> None:
        self._due = False
        gc.callbacks.append(self._collected)

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info.get("generation") == 2:
            self._due = True  # frozen outside the collection, by the next request

    def freeze_if_due(self) -> None:
        if self._due:
            self._due = False
            gc.freeze()

    def close(self) -> None:
        gc.callbacks.remove(self._collected)


class SerialApp:
    """The moto WSGI app, one request at a time.

    DynamoDB applies each request atomically (a conditional update is checked and written in
    one step); moto's threaded server interleaves requests in threads and does neither (and its
    transactions can fail with a 500 when another thread changes the table meanwhile).
    Serialising requests restores DynamoDB's atomicity per request; clients still race, request
    by request, as they would on AWS.
    """

    def __init__(
        self, app: Callable[..., Iterable[bytes]], freezer: SurvivorFreezer | None = None
    ) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._freezer = freezer

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            if self._freezer is not None:
                self._freezer.freeze_if_due()
            return list(self._app(environ, start_response))


def bucket_cors(bucket: str, origin: str) -> list[tuple[str, str]]:
    """The CORS headers S3 gives ``origin`` by the bucket's first rule that allows it (moto's
    matching); none when no rule does."""
    found = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.get(bucket)
    for rule in found.cors if found is not None else []:
        if rule.allowed_origins and cors_matches_origin(origin, rule.allowed_origins):
            headers = [("Access-Control-Allow-Origin", origin)]
            if rule.exposed_headers:
                headers.append(("Access-Control-Expose-Headers", ", ".join(rule.exposed_headers)))
            return headers
    return []


#: Connections the store keeps open at once: every worker's boto3 pool (up to 10 each), the
#: emulator's and the stream pumps'. Polled, not selected: select() stops at 1,024 descriptors.
_CONNECTION_LIMIT = 2048


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args(argv)
    try:
        host = loopback_host(args.host)
        credentials = StoreCredentials.from_env(os.environ)
    except ValueError as exc:
        parser.error(str(exc))
    # moto wraps every backend in flask-cors' allow-everything unless this is set (its
    # MOTO_DISABLE_GLOBAL_CORS, read at import): the bucket's own CORS rules answer instead.
    werkzeug_app.DISABLE_GLOBAL_CORS = True
    # Signatures and S3's POST policies are checked outside the lock: no serialising needed.
    app = SignedOnly(
        PostPolicyGate(
            SerialApp(DomainDispatcherApplication(create_backend_app), SurvivorFreezer()),
            credentials=credentials,
            cors=bucket_cors,
        ),
        credentials,
    )
    server = create_server(
        app,
        host=host,
        port=args.port,
        threads=4,
        connection_limit=_CONNECTION_LIMIT,
        asyncore_use_poll=True,
        ident="",
    )
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth": by design

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.effective_port
    print(f"READY {host}:{port}", flush=True)
    try:
        # Transactions stay fast as the stream grows, Queries as the table grows.
        with (
            cheap_transactions(),
            partition_queries(),
            plain_json_answers(),
            bounded_iterators(),
        ):
            server.run()
    finally:
        server.close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
