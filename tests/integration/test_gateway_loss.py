"""No loss across cuts: three receivers of 1,000 messages whose connections keep being cut.

Two receivers' connections are cut by the client at random moments; the third is left to the
server, which closes it at the connection cap (shortened to seconds, with RECONNECT before it).
Each time, the client opens a new connection and RESUMEs. Every receiver must end with all
1,000 messages, in order, once. (The resume window's INVALID_SESSION is in test_gateway_flow.)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.conftest import FAR_BUDGETS
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

MESSAGES = 1000
RECEIVERS = 3
CAP_S = 12.0
#: After the last send, how long the receivers may take to hold every message.
CATCH_UP_S = 240.0


@pytest.fixture(scope="module")
def lossy_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("loss")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload", "--max-connection", str(CAP_S), "--schedule-interval", "0.5"],
        env={
            "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
            "PARLEY_RATE_MESSAGES_PER_CHANNEL": "100000/1",
            **FAR_BUDGETS,
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


async def keep_resuming(
    client: GatewayClient, rng: random.Random | None, done: asyncio.Event
) -> list[int | None]:
    """Resume after every cut: at random moments (``rng``), or only when the server closes the
    connection (``rng`` None). The close codes the server sent (None for the client's cuts)."""
    closes: list[int | None] = []
    while not done.is_set():
        wait = 1.0 if rng is None else rng.uniform(0.3, 3.0)
        with contextlib.suppress(TimeoutError):  # a timeout is our own random cut
            await asyncio.wait_for(client.closed.wait(), wait)
        if rng is None and not client.closed.is_set():
            continue
        closes.append(client.close_code if client.closed.is_set() else None)
        await resumed(client)
    return closes


async def resumed(client: GatewayClient) -> None:
    """Reconnect and RESUME, as a client does: again on a new connection if no answer comes."""
    while True:
        await client.drop()
        await client.connect()
        try:
            answer = await client.resume(within=20.0)
        except TimeoutError:
            continue  # a lost RESUME is the client's to repeat (nothing is lost by repeating it)
        assert answer["t"] == "RESUMED", answer
        return


@pytest.mark.timeout(900)
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
        asyncio.create_task(keep_resuming(c, random.Random(seed) if seed else None, done))
        for seed, c in enumerate(clients)
    ]
    expected = [f"m{n}" for n in range(MESSAGES)]
    for content in expected:
        await sender.call("POST", f"/channels/{channel}/messages", {"content": content}, 201)

    # Polled, not awaited through nested timeouts: a deadline, and any chaos task's failure.
    deadline = time.monotonic() + CATCH_UP_S
    while any(len(received(c)) < MESSAGES for c in clients):
        for task in chaos:
            if task.done():
                task.result()  # a chaos task ends early only by failing: raise its failure
        counts = [len(received(c)) for c in clients]
        assert time.monotonic() < deadline, f"caught up {counts} of {MESSAGES} after {CATCH_UP_S} s"
        await asyncio.sleep(0.1)
    done.set()
    closes = await asyncio.gather(*chaos)
    for client in clients:
        assert received(client) == expected  # all, in order, none twice
        ids = [d["d"]["id"] for d in client.events("MESSAGE_CREATE")]
        assert len(set(ids)) == MESSAGES
    assert all(len(cuts) >= 3 for cuts in closes[1:]), closes
    # The cap played its part: RECONNECT came first, then the server's close (1001, going away).
    assert any(f.get("op") == 7 for f in clients[0].other), clients[0].other
    assert 1001 in closes[0], closes
    for client in clients:
        await client.drop()
