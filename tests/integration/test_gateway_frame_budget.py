"""A gateway connection's frame budget over a real WebSocket: 120 frames in a minute are all
answered, the 121st closes the connection (docs/protocol.md, "Limits and close codes").

Every other limit is far from this one: the idle timeout (10 min) and the connection cap (2 h)
are the stack's defaults, the heartbeat interval (41 s) is not reached, and the test fails if
its frames did not all fall in the connection's first minute."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.integration.conftest import register_user
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

BUDGET = 120
#: How long the server may take to close once the budget is spent.
CLOSE_WITHIN_S = 10.0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def access_token(stack: StackProcess) -> str:
    password = f"frame-Budget-{secrets.token_urlsafe(12)}"
    token: str = register_user(stack, password=password)["access_token"]
    return token


def is_ack(frame: dict[str, object]) -> bool:
    return frame.get("op") == 11


async def test_the_121st_frame_in_a_minute_closes_the_connection_with_4008(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    client = GatewayClient(parley_stack.info["ws_url"], access_token(parley_stack), http)
    connected = time.monotonic()
    await client.connect()
    for _ in range(BUDGET):  # heartbeats count, as on Discord
        await client.send({"op": 1, "d": None})
    for _ in range(BUDGET):
        await client.wait_for(is_ack, within=45)
    assert not client.closed.is_set()
    assert [f for f in client.other if f.get("op") == 12] == []

    await client.send({"op": 1, "d": None})
    spent = time.monotonic()
    notice = await client.wait_for(lambda f: f.get("op") == 12, within=CLOSE_WITHIN_S)
    await client.wait_for_close(within=CLOSE_WITHIN_S)
    assert time.monotonic() - spent < CLOSE_WITHIN_S
    assert spent - connected < 55, "the frames did not all fall in the first minute"
    assert notice["d"]["close_code"] == 4008
    assert notice["d"]["message"] == "Rate limited."
    assert (notice["d"]["code"], notice["d"]["status"]) == ("rate_limited", 429)
    # API Gateway closes a connection its backend deletes with 1000 (it has no other code).
    assert client.close_code == 1000
    assert [f for f in client.other if is_ack(f)] == [
        {"op": 11, "d": None, "s": None, "t": None}
    ] * BUDGET
