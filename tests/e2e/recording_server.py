"""A server the user never chose, for the client's security tests: a tiny real HTTP server on
loopback that records every request and answers as an attacker would want (CORS open to any
page, 401 to everything, so a client would go on to send its refresh token)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class RecordingServer:
    """Start with :meth:`start`; ``url`` is its origin, ``requests`` what reached it."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def credentials_seen(self, refresh_token: str) -> list[str]:
        """Requests that carried a bearer token or the given refresh token."""
        return [
            f"{r.method} {r.path}"
            for r in self.requests
            if "authorization" in r.headers or refresh_token in r.body or refresh_token in r.path
        ]

    def start(self) -> RecordingServer:
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace") if length else ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded.append(Recorded(self.command, self.path, headers, body))

            def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
                self.send_header("Access-Control-Allow-Headers", "authorization, content-type")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self) -> None:
                self._record()
                self._answer(204)

            def do_GET(self) -> None:
                self._record()
                self._answer(401, {"code": "unauthorized", "message": "Sign in again."})

            do_POST = do_GET
            do_HEAD = do_OPTIONS

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
