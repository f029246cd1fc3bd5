"""The desktop shell's check that a server answers, over a loopback HTTP server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from desktop.shell import server_reachable


def test_server_reachable_asks_over_http() -> None:
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        assert server_reachable(f"http://127.0.0.1:{server.server_port}")
    finally:
        thread.join(5)
        server.server_close()
    port = server.server_port  # closed now: nothing answers there
    assert not server_reachable(f"http://127.0.0.1:{port}", timeout_s=1)
    assert not server_reachable("file:///etc/passwd")
