"""The embedded store keeps its HTTP connections alive between calls."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import AsyncIterator

import pytest

from emulator.store import EmbeddedStore, dynamodb_client

pytestmark = pytest.mark.integration

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


@pytest.fixture
async def store() -> AsyncIterator[EmbeddedStore]:
    server = EmbeddedStore("127.0.0.1", 0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_one_connection_serves_request_after_request(store: EmbeddedStore) -> None:
    connection = http.client.HTTPConnection(store.host, store.port, timeout=10)
    try:
        for _ in range(3):
            connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read()) == {"TableNames": []}
            assert not answer.will_close
            assert (answer.getheader("Connection") or "").lower() != "close"
    finally:
        connection.close()


async def test_a_boto3_client_makes_one_connection_for_many_calls(
    store: EmbeddedStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = dynamodb_client(store.endpoint_url, "us-east-1")
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        for _ in range(10):
            assert client.list_tables()["TableNames"] == []
    opened = [r for r in caplog.records if "Starting new HTTP connection" in r.getMessage()]
    dropped = [r for r in caplog.records if "Resetting dropped connection" in r.getMessage()]
    assert (len(opened), len(dropped)) == (1, 0)
