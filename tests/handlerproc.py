"""Calling the REST functions' handlers in a process of their own, pointed at a given store.

Used where the store is a separate server (the integration stack's, a race's moto server):
a test process may already have imported Parley against another table, and Parley reads its
settings once per process, as Lambda does. The child imports everything only after its
environment points at the store.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

__all__ = ["HandlerProcess", "point_at"]


def point_at(endpoint: str, table: str, env: dict[str, str] | None = None) -> None:
    """This process's AWS calls go to ``endpoint``, its items to ``table``; ``env`` on top
    (a stack's store credentials)."""
    os.environ.update(env or {})
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ["PARLEY_TABLE_NAME"] = table
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"


def _serve(endpoint: str, table: str, env: dict[str, str], conn: Connection) -> None:
    point_at(endpoint, table, env)
    from tests.functional.apigw import request

    while (call := conn.recv()) is not None:
        method, path, kwargs = call
        try:
            reply = request(method, path, **kwargs)
            conn.send((reply.status, reply.body))
        except Exception as exc:  # report to the test rather than die silently
            conn.send((599, {"error": repr(exc)}))


class HandlerProcess:
    """``with HandlerProcess(endpoint, table) as p: p.request("GET", "/guilds/1", user=2)``"""

    def __init__(self, endpoint: str, table: str, env: dict[str, str] | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._here, there = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(endpoint, table, env or {}, there), daemon=True
        )

    def __enter__(self) -> HandlerProcess:
        self._process.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._here.send(None)
        self._process.join(30)
        if self._process.is_alive():
            self._process.kill()

    def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """(status, JSON body) of one request through the route's function."""
        self._here.send((method, path, kwargs))
        if not self._here.poll(120):
            raise AssertionError(f"{method} {path}: no answer in 120 s")
        status, body = self._here.recv()
        assert status != 599, body
        return status, body
