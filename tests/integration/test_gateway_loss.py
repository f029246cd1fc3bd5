"""No loss across cuts: three receivers of 1,000 messages whose connections keep being cut.

Each receiver's connection is cut at random moments by the client, and by the server at the
connection cap (shortened to seconds, with RECONNECT before it); each time the client opens a
new connection and RESUMEs. Every receiver must end with all 1,000 messages, in order, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

MESSAGES = 1000
RECEIVERS = 3
CAP_S = 12.0


@pytest.fixture(scope="module")
def lossy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("loss")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload", "--max-connection", str(CAP_S), "--schedule-interval", "0.5"],
        env={
            "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
            "PARLEY_RATE_MESSAGES_PER_CHANNEL": "100000/1",
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
        },
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def received(client: GatewayClient) -> list[str]:
    return [d["d"]["content"] for d in client.events("MESSAGE_CREATE")]


async def keep_resuming(client: GatewayClient, rng: random.Random, done: asyncio.Event) -> int:
    """Cut the connection at random (or when the server closes it) and resume; the cuts."""
    cuts = 0
    while not done.is_set():
        with contextlib.suppress(TimeoutError):  # a timeout is our own random cut
            await asyncio.wait_for(client.closed.wait(), rng.uniform(0.3, 3.0))
        await client.drop()
        await client.connect()
        answer = await client.resume()
        assert answer["t"] == "RESUMED", answer
        cuts += 1
    return cuts


async def test_every_receiver_gets_all_messages_in_order_once_despite_cuts(
    http: aiohttp.ClientSession, lossy_stack: StackProcess
) -> None:
    sender = User.register(lossy_stack, http)
    receivers = [User.register(lossy_stack, http) for _ in range(RECEIVERS)]
    guild = await guild_with(sender, *receivers)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    clients = []
    for user in receivers:
        client = GatewayClient(lossy_stack.info["ws_url"], user.token, http)
        await client.connect()
        await client.identify()
        clients.append(client)

    done = asyncio.Event()
    chaos = [
        asyncio.create_task(keep_resuming(c, random.Random(seed), done))
        for seed, c in enumerate(clients)
    ]
    expected = [f"m{n}" for n in range(MESSAGES)]
    for content in expected:
        await sender.call("POST", f"/channels/{channel}/messages", {"content": content}, 201)

    async def caught_up(client: GatewayClient) -> None:
        while len(received(client)) < MESSAGES:
            with contextlib.suppress(TimeoutError):  # the chaos task may swap the connection
                await client.wait_for(lambda f: f.get("t") == "MESSAGE_CREATE", within=1.0)

    await asyncio.wait_for(asyncio.gather(*(caught_up(c) for c in clients)), 300)
    done.set()
    cuts = await asyncio.gather(*chaos)
    for client in clients:
        assert received(client) == expected  # all, in order, none twice
        ids = [d["d"]["id"] for d in client.events("MESSAGE_CREATE")]
        assert len(set(ids)) == MESSAGES
    assert all(n >= 3 for n in cuts), cuts
    reconnects = sum(1 for c in clients for f in c.other if f.get("op") == 7)
    closes_at_cap = sum(1 for c in clients if c.close_code == 1001)
    assert reconnects + closes_at_cap > 0  # the cap played its part
    for client in clients:
        await client.drop()
