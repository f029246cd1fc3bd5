"""The embedded store: it answers the stack alone, on loopback, and keeps its connections alive.

Every request below travels over a real socket to the store's own process. Only requests
signed with the store's credentials get an answer; no answer carries a CORS allow header, so no
web page the developer opens can read the table (or send it a preflighted request).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.config import DevSettings
from emulator.store import EmbeddedStore, StoreError, dynamodb_client
from emulator.store_credentials import StoreCredentials
from tests.store_signing import signed_dynamodb_headers

pytestmark = pytest.mark.integration

CREDENTIALS = StoreCredentials.new()
OTHERS = StoreCredentials.new()
BUCKET = "uploads"
ORIGIN = "http://evil.example"


@pytest.fixture
async def store(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EmbeddedStore]:
    for name, value in CREDENTIALS.env().items():
        monkeypatch.setenv(name, value)  # what the stack's own clients sign with
    # boto3's default session keeps the credentials it first resolved: an earlier test's in
    # this process would sign with another key pair.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    server = EmbeddedStore("127.0.0.1", 0, CREDENTIALS)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def signed_headers(
    store: EmbeddedStore, body: bytes, credentials: StoreCredentials
) -> dict[str, str]:
    """A ListTables call's headers, SigV4-signed by botocore with ``credentials``."""
    return signed_dynamodb_headers(store.endpoint_url, "ListTables", body, credentials)


def call(
    store: EmbeddedStore,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(store.host, store.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def s3(store: EmbeddedStore, credentials: StoreCredentials = CREDENTIALS) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=store.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
        ),
    )


async def test_one_connection_serves_request_after_request(store: EmbeddedStore) -> None:
    connection = http.client.HTTPConnection(store.host, store.port, timeout=10)
    try:
        for _ in range(3):
            connection.request(
                "POST", "/", body=b"{}", headers=signed_headers(store, b"{}", CREDENTIALS)
            )
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read()) == {"TableNames": []}
            assert not answer.will_close
            assert (answer.getheader("Connection") or "").lower() != "close"
    finally:
        connection.close()


async def test_a_boto3_client_makes_one_connection_for_many_calls(
    store: EmbeddedStore, caplog: pytest.LogCaptureFixture
) -> None:
    client = dynamodb_client(store.endpoint_url, "us-east-1")
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        for _ in range(10):
            assert client.list_tables()["TableNames"] == []
    opened = [r for r in caplog.records if "Starting new HTTP connection" in r.getMessage()]
    dropped = [r for r in caplog.records if "Resetting dropped connection" in r.getMessage()]
    assert (len(opened), len(dropped)) == (1, 0)


async def test_an_unsigned_request_is_refused(store: EmbeddedStore) -> None:
    scan = {
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0",
    }
    status, _, body = call(store, "POST", "/", b"{}", scan)
    assert status == 403, body
    assert json.loads(body)["__type"] == "MissingAuthenticationToken"
    for path in ("/", f"/{BUCKET}", f"/{BUCKET}/secret.txt"):
        status, _, body = call(store, "GET", path)
        assert status == 403, (path, body)


async def test_a_request_signed_with_other_credentials_is_refused(store: EmbeddedStore) -> None:
    status, _, body = call(store, "POST", "/", b"{}", signed_headers(store, b"{}", OTHERS))
    assert status == 403
    assert json.loads(body)["__type"] == "InvalidAccessKeyId"
    # The right key id with another secret: the signature itself is checked.
    forged = StoreCredentials(CREDENTIALS.access_key_id, OTHERS.secret_access_key)
    status, _, body = call(store, "POST", "/", b"{}", signed_headers(store, b"{}", forged))
    assert status == 403
    assert json.loads(body)["__type"] == "SignatureDoesNotMatch"
    # A signed request whose body was changed on the way.
    headers = signed_headers(store, b"{}", CREDENTIALS)
    status, _, _ = call(store, "POST", "/", b'{"Limit": 1}', headers)
    assert status == 403
    with pytest.raises(ClientError) as refused:
        s3(store, OTHERS).list_buckets()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_no_answer_carries_a_cors_allow_header(store: EmbeddedStore) -> None:
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-amz-target,content-type",
    }
    status, headers, _ = call(store, "OPTIONS", "/", headers=preflight)
    assert status == 403
    assert "access-control-allow-origin" not in headers
    signed = {**signed_headers(store, b"{}", CREDENTIALS), "Origin": ORIGIN}
    status, headers, _ = call(store, "POST", "/", b"{}", signed)
    assert status == 200  # the stack's own call, answered, but for no web page to read
    assert "access-control-allow-origin" not in headers
    unsigned = {"Origin": ORIGIN, "Content-Type": "text/plain"}
    status, headers, _ = call(store, "POST", "/", b"{}", unsigned)
    assert status == 403
    assert "access-control-allow-origin" not in headers


async def test_presigned_urls_and_signed_posts_work_and_a_policyless_post_is_refused(
    store: EmbeddedStore,
) -> None:
    client = s3(store)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="a b/ü.txt", Body=b"hello")
    url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": BUCKET, "Key": "a b/ü.txt", "ResponseContentType": "text/plain"},
        ExpiresIn=60,
    )
    path = url.split(str(store.port), 1)[1]
    status, _, body = call(store, "GET", path)
    assert (status, body) == (200, b"hello")
    status, _, _ = call(store, "GET", path.replace("text%2Fplain", "text%2Fhtml"))
    assert status == 403  # the signature covers the query
    other = s3(store, OTHERS).generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "a b/ü.txt"}, ExpiresIn=60
    )
    assert call(store, "GET", other.split(str(store.port), 1)[1])[0] == 403

    post = client.generate_presigned_post(
        Bucket=BUCKET, Key="up.txt", Conditions=[["content-length-range", 2, 2]], ExpiresIn=60
    )
    assert form_post(store, post["fields"], b"ok") == 204
    policyless = {"key": "anon.txt"}
    assert form_post(store, policyless, b"no") == 403
    foreign = s3(store, OTHERS).generate_presigned_post(Bucket=BUCKET, Key="x.txt", ExpiresIn=60)
    assert form_post(store, foreign["fields"], b"xx") == 403
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {"a b/ü.txt", "up.txt"}


def form_post(store: EmbeddedStore, fields: dict[str, str], data: bytes) -> int:
    """A browser's multipart form POST to the bucket: the fields, then the file."""
    boundary = "----parleyboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": ORIGIN}
    status, answer_headers, _ = call(store, "POST", f"/{BUCKET}", b"".join(parts), headers)
    assert "access-control-allow-origin" not in answer_headers  # the bucket has no CORS rules
    return status


async def test_the_store_never_listens_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        DevSettings(store_host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback only"):
        DevSettings(store_host="192.0.2.10")
    assert DevSettings(store_host="::1").store_host == "::1"
    server = EmbeddedStore("0.0.0.0", 0, CREDENTIALS)
    with pytest.raises(StoreError, match="loopback only"):
        await server.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator.store_server",
        "--host",
        "0.0.0.0",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and not out
    assert b"loopback only" in err
