"""The emulated WebSocket API over real sockets: authorizer, routes, events, @connections."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from botocore.exceptions import ClientError

from tests.eventshape import missing_paths
from tests.integration.stackproc import StackProcess, wait_for

pytestmark = pytest.mark.integration

KIB = 1024


def records(stack: StackProcess, kind: str) -> list[dict[str, Any]]:
    path = Path(stack.env["FIXTURE_RECORD_DIR"]) / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def by_connection(stack: StackProcess, kind: str, connection_id: str) -> dict[str, Any] | None:
    for event in records(stack, kind):
        if event["requestContext"]["connectionId"] == connection_id:
            return event
    return None


def connections_client(stack: StackProcess) -> Any:
    base = stack.info["connections_url"].removesuffix("/@connections")
    return boto3.client("apigatewaymanagementapi", endpoint_url=base, region_name="us-east-1")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def connect(
    session: aiohttp.ClientSession, stack: StackProcess, token: str = "good"
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    """A connection and its id (asked of the connection itself, through the ping route)."""
    ws = await session.ws_connect(f"{stack.info['ws_url']}?token={token}", max_msg_size=0)
    await ws.send_str(json.dumps({"action": "ping"}))
    reply = await ws.receive_json(timeout=20)
    return ws, reply["connectionId"]


async def test_connect_runs_authorizer_then_connect_with_awss_fields(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.close()
    connect_event = by_connection(fixture_stack, "connect", connection_id)
    assert connect_event is not None
    assert missing_paths(connect_event, "websocket-connect.json") == set()
    assert connect_event["requestContext"]["authorizer"]["userId"] == "user-1"
    assert connect_event["requestContext"]["authorizer"]["principalId"] == "user-1"
    authorizer_event = by_connection(fixture_stack, "authorizer", connection_id)
    assert authorizer_event is not None
    assert missing_paths(authorizer_event, "websocket-authorizer-request.json") == set()
    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["methodArn"].endswith("/test/$connect")


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 401), ("?token=bad", 403), ("?token=crash", 401), ("?token=refuse-connect", 403)],
)
async def test_handshake_refused(
    session: aiohttp.ClientSession, fixture_stack: StackProcess, query: str, status: int
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(f"{fixture_stack.info['ws_url']}{query}")
    assert refused.value.status == status


async def test_messages_route_by_selection_expression(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.send_str(json.dumps({"action": "something-else", "n": 1}))
    reply = await ws.receive_json(timeout=20)
    assert reply["route"] == "$default"
    event = reply["event"]
    assert missing_paths(event, "websocket-message.json") == set()
    assert event["requestContext"]["connectionId"] == connection_id
    assert event["requestContext"]["routeKey"] == "$default"
    assert event["requestContext"]["authorizer"]["userId"] == "user-1"
    assert json.loads(event["body"]) == {"action": "something-else", "n": 1}
    await ws.send_str("not json at all")
    assert (await ws.receive_json(timeout=20))["route"] == "$default"
    await ws.close()


async def test_disconnect_event_carries_the_close(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.close(code=4000, message=b"bye")
    event = wait_for(
        lambda: by_connection(fixture_stack, "disconnect", connection_id), 20, "$disconnect"
    )
    assert missing_paths(event, "websocket-disconnect.json") == set()
    assert event["requestContext"]["disconnectStatusCode"] == 4000
    assert event["requestContext"]["eventType"] == "DISCONNECT"


async def test_connections_api_post_get_delete_then_gone(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    client = connections_client(fixture_stack)
    client.post_to_connection(ConnectionId=connection_id, Data=b'{"hello": "there"}')
    assert await ws.receive_json(timeout=20) == {"hello": "there"}
    info = client.get_connection(ConnectionId=connection_id)
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert info["ConnectedAt"] <= info["LastActiveAt"]
    client.delete_connection(ConnectionId=connection_id)
    closing = await ws.receive(timeout=20)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    for call in (client.post_to_connection, client.get_connection):
        kwargs: dict[str, Any] = {"ConnectionId": connection_id}
        if call == client.post_to_connection:
            kwargs["Data"] = b"late"
        with pytest.raises(ClientError) as gone:
            call(**kwargs)
        assert gone.value.response["Error"]["Code"] == "GoneException"
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


async def test_connections_api_refuses_more_than_128_kib(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    client = connections_client(fixture_stack)
    with pytest.raises(ClientError) as too_big:
        client.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * KIB + 1))
    assert too_big.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    client.post_to_connection(ConnectionId=connection_id, Data=b"y" * (128 * KIB))
    assert len((await ws.receive(timeout=20)).data) == 128 * KIB
    await ws.close()


def _message_of(size: int) -> str:
    head = '{"action": "ping", "pad": "'
    tail = '"}'
    return head + "x" * (size - len(head) - len(tail)) + tail


async def test_message_of_exactly_128_kib_is_accepted(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.send_str(_message_of(128 * KIB))
    assert (await ws.receive_json(timeout=20))["connectionId"] == connection_id
    await ws.close()


@pytest.mark.parametrize("size", [128 * KIB + 1, 129 * KIB])
async def test_message_over_128_kib_is_closed_with_1009(
    session: aiohttp.ClientSession, fixture_stack: StackProcess, size: int
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.send_str(_message_of(size))
    closing = await ws.receive(timeout=20)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 1009
    event = wait_for(
        lambda: by_connection(fixture_stack, "disconnect", connection_id), 20, "$disconnect"
    )
    assert event["requestContext"]["disconnectStatusCode"] == 1009
