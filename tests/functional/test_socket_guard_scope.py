"""The unit tests' socket guard (``tests/unit/conftest.py``) stays in that folder: tests here,
collected in the same session by ``make test``, open and use loopback sockets."""

from __future__ import annotations

import socket


def test_a_loopback_socket_connects_outside_the_unit_tests() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = server.accept()
            with accepted:
                client.sendall(b"ping")
                assert accepted.recv(4) == b"ping"
