"""The gateway's view of the issuer's keys (``shared/auth/jwks.py``): a stream of tokens with
unknown ``kid``s must not turn into a stream of JWKS fetches."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth.jwks import REFETCH_AFTER_S, IssuerKeys


class Issuer:
    """A JWKS endpoint on loopback that counts its fetches; ``failing`` answers 503."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        self.failing = False

    def publish(self, kid: str) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(key))
        self.keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})


@pytest.fixture
def issuer() -> Iterator[tuple[Issuer, str]]:
    state = Issuer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = b"" if state.failing else json.dumps({"keys": state.keys}).encode()
            self.send_response(503 if state.failing else 200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unknown_kids_refetch_at_most_once_per_interval(issuer: tuple[Issuer, str]) -> None:
    state, url = issuer
    state.publish("k1")
    clock = Clock()
    keys = IssuerKeys(url, clock=clock)
    assert keys.public_key("k1") is not None
    assert state.fetches == 1
    for n in range(200):
        assert keys.public_key(f"forged-{n}") is None
    assert state.fetches == 1  # the set was fetched a moment ago: nothing new to learn
    # Once the interval has passed, an unknown kid may fetch once: a rotated key is found.
    state.publish("k2")
    clock.now += REFETCH_AFTER_S
    assert keys.public_key("k2") is not None
    for n in range(200):
        assert keys.public_key(f"again-{n}") is None
    assert state.fetches == 2
    assert keys.public_key("k1") is not None  # known keys never fetch
    assert state.fetches == 2


def test_a_failing_endpoint_is_not_asked_again_on_every_token(
    issuer: tuple[Issuer, str],
) -> None:
    state, url = issuer
    state.publish("k1")
    state.failing = True
    clock = Clock()
    keys = IssuerKeys(url, clock=clock)
    for n in range(100):
        assert keys.public_key(f"k{n % 2}") is None
    assert state.fetches == 1
    state.failing = False
    clock.now += REFETCH_AFTER_S
    assert keys.public_key("k1") is not None
    assert state.fetches == 2
