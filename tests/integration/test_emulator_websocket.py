"""The emulated WebSocket API over real sockets: authorizer, routes, events, @connections."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
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
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=base,
        region_name="us-east-1",
        verify=stack.info["ca_bundle"],
    )


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


async def test_one_frame_of_129_kib_is_closed_with_1009(
    session: aiohttp.ClientSession, fixture_stack: StackProcess
) -> None:
    ws, connection_id = await connect(session, fixture_stack)
    await ws.send_str(_message_of(129 * KIB))  # aiohttp sends a message as one frame
    closing = await ws.receive(timeout=20)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 1009
    event = wait_for(
        lambda: by_connection(fixture_stack, "disconnect", connection_id), 20, "$disconnect"
    )
    assert event["requestContext"]["disconnectStatusCode"] == 1009


async def _raw_connection(stack: StackProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand, so that a test can choose its frames."""
    host, port = stack.info["ws_url"].removeprefix("ws://").rstrip("/").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /?token=good HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    status = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    assert status.startswith(b"HTTP/1.1 101")
    return reader, writer


def _frame(opcode: int, payload: bytes, *, fin: bool) -> bytes:
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _next_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await asyncio.wait_for(reader.readexactly(2), 20)
    n = second & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(n)


async def test_message_in_frames_of_32_kib_is_accepted(fixture_stack: StackProcess) -> None:
    reader, writer = await _raw_connection(fixture_stack)
    await _send_in_frames(writer, _message_of(100 * KIB).encode())
    opcode, payload = await _next_frame(reader)
    assert opcode == 0x1
    assert "connectionId" in json.loads(payload)
    writer.close()


async def _send_in_frames(writer: asyncio.StreamWriter, message: bytes) -> None:
    chunks = [message[i : i + 32 * KIB] for i in range(0, len(message), 32 * KIB)]
    for index, chunk in enumerate(chunks):
        opcode = 0x1 if index == 0 else 0x0
        writer.write(_frame(opcode, chunk, fin=index == len(chunks) - 1))
    await writer.drain()


async def test_message_of_exactly_128_kib_in_frames_is_accepted(
    fixture_stack: StackProcess,
) -> None:
    reader, writer = await _raw_connection(fixture_stack)
    await _send_in_frames(writer, _message_of(128 * KIB).encode())
    opcode, payload = await _next_frame(reader)
    assert opcode == 0x1
    assert "connectionId" in json.loads(payload)
    writer.close()


@pytest.mark.parametrize("size", [128 * KIB + 1, 129 * KIB])
async def test_message_over_128_kib_is_closed_with_1009(
    fixture_stack: StackProcess, size: int
) -> None:
    reader, writer = await _raw_connection(fixture_stack)
    await _send_in_frames(writer, _message_of(size).encode())
    opcode, payload = await _next_frame(reader)
    assert opcode == 0x8
    assert struct.unpack("!H", payload[:2])[0] == 1009
    writer.close()


@pytest.mark.parametrize("size", [40 * KIB, 120 * KIB])
async def test_frame_over_32_kib_is_closed_with_1009(
    fixture_stack: StackProcess, size: int
) -> None:
    """The close frame reaches the client even while the rest of its message is still on its
    way (closing with unread input would reset the connection under it)."""
    reader, writer = await _raw_connection(fixture_stack)
    message = _message_of(size).encode()
    writer.write(_frame(0x1, message[: 32 * KIB + 1], fin=False))
    for start in range(32 * KIB + 1, len(message), 16 * KIB):
        chunk = message[start : start + 16 * KIB]
        writer.write(_frame(0x0, chunk, fin=start + 16 * KIB >= len(message)))
    await writer.drain()
    opcode, payload = await _next_frame(reader)
    assert opcode == 0x8  # close
    assert struct.unpack("!H", payload[:2])[0] == 1009
    writer.close()
