"""Presence through the running stack, over real sockets: what B (who shares a guild with A)
sees of A's sessions and chosen status, and what C (who shares none) does not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

#: Generous: a loaded 2-core machine runs five engineers' stacks at once.
WITHIN = 60.0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def online(user: User) -> GatewayClient:
    client = GatewayClient(user.stack.info["ws_url"], user.token, user.http)
    await client.connect()
    await client.identify()
    return client


def presence_of(user: User) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("t") == "PRESENCE_UPDATE" and f["d"]["user"]["id"] == user.id


class Watch:
    """What one client has processed of one user's presence, in order (the client's rule
    applied: a dispatch the server repeats, e.g. after a retried fan-out batch, is dropped)."""

    def __init__(self, client: GatewayClient, user: User, guild: dict[str, Any]) -> None:
        self.client, self.user, self.guild = client, user, guild
        self.seen = 0

    def heard(self) -> list[dict[str, Any]]:
        return [f for f in self.client.dispatches if presence_of(self.user)(f)]

    async def next_status(self) -> str:
        """The status of the next PRESENCE_UPDATE of the user that the client processes."""
        deadline = time.monotonic() + WITHIN
        while len(self.heard()) <= self.seen:
            await self.client.next_frame(max(0.01, deadline - time.monotonic()))
        frame = self.heard()[self.seen]
        self.seen += 1
        assert frame["d"]["guild_id"] == self.guild["id"]
        return str(frame["d"]["status"])


async def set_status(client: GatewayClient, status: str) -> None:
    await client.send({"op": 3, "d": {"status": status}})


async def test_b_follows_a_through_every_status_and_c_hears_none_of_it(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob, carol = (User.register(parley_stack, http) for _ in range(3))
    guild = await guild_with(alice, bob)
    carols = await guild_with(carol)  # shares nothing with alice
    b, c = await online(bob), await online(carol)

    watch = Watch(b, alice, guild)
    a1 = await online(alice)
    assert await watch.next_status() == "online"
    for status, seen in [("idle", "idle"), ("dnd", "dnd"), ("invisible", "offline")]:
        await set_status(a1, status)
        assert await watch.next_status() == seen
    await set_status(a1, "online")
    assert await watch.next_status() == "online"

    # A newcomer's GUILD_CREATE lists A among the guild's present members.
    b2 = await online(bob)
    created = await b2.wait_for(
        lambda f: f.get("t") == "GUILD_CREATE" and f["d"]["id"] == guild["id"], within=WITHIN
    )
    assert {"user": {"id": alice.id}, "status": "online"} in created["d"]["presences"]
    await b2.drop()

    # A second connection, then the first one closes: A stays online (no event says otherwise:
    # the next one B sees is the idle A sets next).
    a2 = await online(alice)
    await a1.drop()
    await set_status(a2, "idle")
    assert await watch.next_status() == "idle"
    # The last connection closes: offline.
    await a2.drop()
    assert await watch.next_status() == "offline"

    # C hears her own presence (sequenced after all of A's) and never A's.
    await set_status(c, "dnd")
    own = await c.wait_for(lambda f: presence_of(carol)(f) and f["d"]["status"] == "dnd", WITHIN)
    assert own["d"] == {"user": {"id": carol.id}, "status": "dnd", "guild_id": carols["id"]}
    assert not [f for f in c.dispatches if presence_of(alice)(f)]
    assert not [f for f in a1.other + a2.other if f.get("op") == 12]
    await b.drop()
    await c.drop()


async def test_a_bad_presence_gets_the_error_frame_and_the_session_goes_on(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice = User.register(parley_stack, http)
    a = await online(alice)
    await a.send({"op": 3, "d": {"status": "away"}})
    error = await a.wait_for(lambda f: f.get("op") == 12, within=WITHIN)
    assert error["d"]["code"] == "invalid_status"
    assert error["d"]["status"] == 400
    assert (await a.heartbeat())["op"] == 11
    await a.drop()


async def test_both_connections_closing_at_once_leave_a_offline(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice, bob)
    b = await online(bob)
    watch = Watch(b, alice, guild)
    a1, a2 = await online(alice), await online(alice)
    assert await watch.next_status() == "online"
    await asyncio.gather(a1.drop(), a2.drop())
    assert await watch.next_status() == "offline"
    await b.drop()
