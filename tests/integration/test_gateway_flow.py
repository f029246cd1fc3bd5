"""The gateway through the running stack: sessions, live events, resume, the sweeper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.integration.conftest import FAR_BUDGETS, register_user
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def rename(
    http: aiohttp.ClientSession, stack: StackProcess, token: str, name: str
) -> dict[str, Any]:
    async with http.patch(
        f"{stack.info['http_url']}/api/v1/users/@me",
        json={"global_name": name},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def wait_for_updates(client: GatewayClient, count: int) -> None:
    while len(client.events("USER_UPDATE")) < count:
        await client.wait_for(lambda f: f.get("t") == "USER_UPDATE")


async def test_identify_gives_ready_with_the_user(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    user = register_user(parley_stack)
    client = GatewayClient(parley_stack.info["ws_url"], user["access_token"], http)
    await client.connect()
    ready = await client.identify()
    assert ready["d"]["user"]["username"] == user["user"]["username"]
    assert ready["d"]["heartbeat_interval"] > 0
    assert isinstance(ready["s"], int)
    await client.heartbeat()
    await client.drop()


async def test_every_session_of_a_user_gets_its_events_in_order(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    user = register_user(parley_stack)
    desktop = GatewayClient(parley_stack.info["ws_url"], user["access_token"], http)
    browser = GatewayClient(parley_stack.info["ws_url"], user["access_token"], http)
    for client in (desktop, browser):
        await client.connect()
        await client.identify()
    for n in range(3):
        await rename(http, parley_stack, user["access_token"], f"name {n}")
    for client in (desktop, browser):
        for _ in range(3):
            await client.wait_for(lambda f: f.get("t") == "USER_UPDATE")
        updates = client.events("USER_UPDATE")
        assert [u["d"]["global_name"] for u in updates] == ["name 0", "name 1", "name 2"]
        sequence = [u["s"] for u in updates]
        assert sequence == sorted(sequence)
        assert len(set(sequence)) == 3
        await client.drop()


async def test_resume_replays_what_was_missed_exactly_once(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    user = register_user(parley_stack)
    token = user["access_token"]
    client = GatewayClient(parley_stack.info["ws_url"], token, http)
    await client.connect()
    await client.identify()
    await rename(http, parley_stack, token, "before")
    await client.wait_for(lambda f: f.get("t") == "USER_UPDATE")
    await client.drop()
    for name in ("missed 1", "missed 2"):
        await rename(http, parley_stack, token, name)
    await client.connect()
    resumed = await client.resume()
    assert resumed["t"] == "RESUMED"
    # Sequencing is asynchronous: what was emitted just before RESUME may be replayed or, if
    # sequenced after the handoff, arrive live - either way once, in order.
    await wait_for_updates(client, 3)
    names = [u["d"]["global_name"] for u in client.events("USER_UPDATE")]
    assert names == ["before", "missed 1", "missed 2"]
    await rename(http, parley_stack, token, "live again")
    await client.wait_for(lambda f: f.get("t") == "USER_UPDATE")
    assert [u["d"]["global_name"] for u in client.events("USER_UPDATE")][-1] == "live again"
    assert client.repeats == 0
    await client.drop()


async def test_resume_with_someone_elses_session_is_invalid(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    owner = register_user(parley_stack)
    thief = register_user(parley_stack)
    first = GatewayClient(parley_stack.info["ws_url"], owner["access_token"], http)
    await first.connect()
    await first.identify()
    await first.drop()
    second = GatewayClient(parley_stack.info["ws_url"], thief["access_token"], http)
    second.session_id = first.session_id
    second.last_s = first.last_s
    await second.connect()
    assert (await second.resume())["op"] == 9
    await second.drop()


# ---------------------------------------------------------------- shortened limits
RESUME_WINDOW_S = 2
CAP_S = 8.0


@pytest.fixture(scope="module")
def short_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack whose resume window, heartbeat interval and connection cap last seconds."""
    workdir = tmp_path_factory.mktemp("gateway-limits")
    stack = StackProcess(
        workdir,
        extra_args=[
            "--no-reload",
            "--max-connection",
            str(CAP_S),
            "--schedule-interval",
            "0.5",
        ],
        env={
            "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
            "PARLEY_RATE_LOGIN_PER_IP": "100000/60",
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
            "PARLEY_RESUME_WINDOW_S": str(RESUME_WINDOW_S),
            "PARLEY_HEARTBEAT_INTERVAL_MS": "1000",
            **FAR_BUDGETS,
        },
    )
    stack.start()
    yield stack
    stack.stop()


async def test_session_that_stops_heartbeating_is_closed(
    http: aiohttp.ClientSession, short_stack: StackProcess
) -> None:
    user = register_user(short_stack)
    client = GatewayClient(short_stack.info["ws_url"], user["access_token"], http)
    await client.connect()
    await client.identify()
    await asyncio.wait_for(client.closed.wait(), 30)  # no heartbeats sent


async def test_reconnect_comes_before_the_cap_and_resume_loses_nothing(
    http: aiohttp.ClientSession, short_stack: StackProcess
) -> None:
    user = register_user(short_stack)
    token = user["access_token"]
    client = GatewayClient(short_stack.info["ws_url"], token, http)
    await client.connect()
    await client.identify()

    async def keep_heartbeating() -> None:
        while True:
            await client.send({"op": 1, "d": client.last_s})
            await asyncio.sleep(0.4)

    beats = asyncio.create_task(keep_heartbeating())
    try:
        reconnect = await client.wait_for(lambda f: f.get("op") == 7, within=CAP_S * 3)
        assert reconnect == {"op": 7, "d": None, "s": None, "t": None}
    finally:
        beats.cancel()
    await client.drop()
    await rename(http, short_stack, token, "while away")
    await client.connect()
    assert (await client.resume())["t"] == "RESUMED"
    await wait_for_updates(client, 1)
    assert [u["d"]["global_name"] for u in client.events("USER_UPDATE")] == ["while away"]
    await client.drop()


async def test_resume_after_the_window_is_invalid(
    http: aiohttp.ClientSession, short_stack: StackProcess
) -> None:
    user = register_user(short_stack)
    client = GatewayClient(short_stack.info["ws_url"], user["access_token"], http)
    await client.connect()
    await client.identify()
    await client.drop()
    # The window itself is under test; the margin covers a $disconnect that runs late under load.
    await asyncio.sleep(RESUME_WINDOW_S + 4)
    await client.connect()
    assert (await client.resume())["op"] == 9
    await client.drop()
