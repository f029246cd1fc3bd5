"""The fan-out's awscrt signer signs exactly as botocore's SigV4Auth does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore import auth as botocore_auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from shared.gateway.signing import ConnectionsSigner

WHEN = datetime(2026, 11, 25, 6, 7, 8, tzinfo=UTC)
BODY = '{"op":0,"t":"MESSAGE_CREATE","s":7,"d":{"content":"héllo 👋"}}'.encode()


def _botocore_headers(
    credentials: ReadOnlyCredentials, url: str, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body)
    SigV4Auth(credentials, "execute-api", "eu-west-1").add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    "url",
    [
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/@connections/Lx3%3DabcDEF",
        "http://127.0.0.1:3001/dev/@connections/conn-1",
        "https://gw.example.com:443/v1/@connections/a%2Bb%3D",
        "http://localhost:80/local/@connections/x",
        "https://gw.example.com:8443/v1/@connections/y?z=1",
    ],
)
@pytest.mark.parametrize("token", [None, "FQoGZXIvYXdzEJr//////////session-token="])
def test_signature_is_botocores(url: str, token: str | None, monkeypatch) -> None:
    credentials = ReadOnlyCredentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token
    )
    expected = _botocore_headers(credentials, url, BODY, monkeypatch)
    got = ConnectionsSigner(credentials, "eu-west-1", now=WHEN).headers(url, BODY)
    signed = {k.lower(): v for k, v in got.items()}
    assert signed["authorization"] == expected["Authorization"]
    assert signed["x-amz-date"] == expected["X-Amz-Date"]
    assert signed.get("x-amz-security-token") == expected.get("X-Amz-Security-Token")
    assert "host" in signed


def test_the_signed_host_drops_a_default_port_and_keeps_another() -> None:
    signer = ConnectionsSigner(ReadOnlyCredentials("AK", "SK", None), "us-east-1")
    assert signer.headers("https://GW.example.com:443/a/@connections/b", b"")["Host"] == (
        "gw.example.com"
    )
    assert signer.headers("http://127.0.0.1:3001/a/@connections/b", b"")["Host"] == (
        "127.0.0.1:3001"
    )


def test_a_different_body_is_a_different_signature() -> None:
    signer = ConnectionsSigner(ReadOnlyCredentials("AK", "SK", None), "us-east-1", now=WHEN)
    url = "http://127.0.0.1:3001/dev/@connections/c"
    one = signer.headers(url, b"one")["Authorization"]
    assert one == signer.headers(url, b"one")["Authorization"]
    assert one != signer.headers(url, b"two")["Authorization"]


def test_a_request_to_send_carries_the_signature_then_its_length_and_body() -> None:
    signer = ConnectionsSigner(ReadOnlyCredentials("AK", "SK", "TOKEN"), "us-east-1", now=WHEN)
    request = signer.request("127.0.0.1:3001", "/dev/@connections/c%3D", BODY)
    headers = dict(request.headers)
    assert request.method == "POST"
    assert request.path == "/dev/@connections/c%3D"
    assert headers["Content-Length"] == str(len(BODY))
    assert request.body_stream is not None  # what arrives is the integration tests' concern
    signed = signer.headers("http://127.0.0.1:3001/dev/@connections/c%3D", BODY)
    assert {k: v for k, v in headers.items() if k != "Content-Length"} == signed
    assert "content-length" not in headers["Authorization"]  # not among the signed headers
