"""The embedded store's signature check (emulator/store_auth.py), on requests as a WSGI server
hands them over: botocore signs, the check must agree with it, and with nothing else."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.config import Config

from emulator.store_auth import StoreRefused, check_signature
from emulator.store_credentials import StoreCredentials
from tests.store_signing import signed_dynamodb_headers

KEYS = StoreCredentials("PLOCALTESTKEY0000001", "a-secret-no-page-can-guess")
HOST = "127.0.0.1:4566"


def presigned_get(key: str, **params: str) -> str:
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{HOST}",
        region_name="us-east-1",
        aws_access_key_id=KEYS.access_key_id,
        aws_secret_access_key=KEYS.secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url: str = client.generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": key, **params}, ExpiresIn=60
    )
    return url


def environ(method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Any:
    """What a WSGI server makes of the request: the path decoded, the query as sent."""
    parts = urlsplit(url)
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": unquote(parts.path).encode().decode("latin-1"),
        "QUERY_STRING": parts.query,
        "HTTP_HOST": HOST,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return env


def test_a_presigned_url_passes_however_the_client_encoded_its_query() -> None:
    url = presigned_get(
        "a b/ü.txt", ResponseContentDisposition="attachment; filename*=UTF-8''a%20b.txt"
    )
    now = datetime.now(UTC)
    check_signature(environ("GET", url), KEYS, now)
    assert "%27" in url
    check_signature(environ("GET", url.replace("%27", "'")), KEYS, now)  # as aiohttp sends it


def test_a_presigned_url_expires_and_covers_its_whole_query() -> None:
    url = presigned_get("x.txt", ResponseContentType="text/plain")
    with pytest.raises(StoreRefused, match="expired"):
        check_signature(environ("GET", url), KEYS, datetime.now(UTC) + timedelta(seconds=61))
    with pytest.raises(StoreRefused) as refused:
        check_signature(
            environ("GET", url.replace("text%2Fplain", "text%2Fhtml")), KEYS, datetime.now(UTC)
        )
    assert refused.value.code == "SignatureDoesNotMatch"


def test_a_signed_call_passes_and_a_changed_body_does_not() -> None:
    body = b'{"TableName": "t"}'
    headers = signed_dynamodb_headers(f"http://{HOST}", "Scan", body, KEYS)
    now = datetime.now(UTC)
    check_signature(environ("POST", f"http://{HOST}/", headers, body), KEYS, now)
    with pytest.raises(StoreRefused) as refused:
        check_signature(
            environ("POST", f"http://{HOST}/", headers, b'{"TableName": "u"}'), KEYS, now
        )
    assert refused.value.code == "SignatureDoesNotMatch"
    with pytest.raises(StoreRefused) as unsigned:
        check_signature(environ("POST", f"http://{HOST}/", {}, body), KEYS, now)
    assert unsigned.value.code == "MissingAuthenticationToken"
