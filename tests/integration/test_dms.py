"""DMs and read state through the running stack: a DM opened live, messages both ways, and
READY's unread/mention counts cleared by an ack that reaches the user's other session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def online(user: User) -> tuple[GatewayClient, dict[str, Any]]:
    client = GatewayClient(user.stack.info["ws_url"], user.token, user.http)
    await client.connect()
    return client, await client.identify()


def of(t: str, **d: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("t") == t and all(f["d"].get(k) == v for k, v in d.items())


async def test_a_dm_opened_live_carries_messages_both_ways_and_to_nobody_else(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob, carol = (User.register(parley_stack, http) for _ in range(3))
    await guild_with(alice, bob, carol)  # a DM opens only between users who share a guild
    (a, _), (b, _), (c, _) = [await online(u) for u in (alice, bob, carol)]

    dm = await alice.call("POST", "/users/@me/channels", {"recipient_id": bob.id}, expect=201)
    assert dm["type"] == 1 and [r["id"] for r in dm["recipients"]] == [bob.id]
    again = await bob.call("POST", "/users/@me/channels", {"recipient_id": alice.id}, expect=200)
    assert again["id"] == dm["id"]
    for client, other in ((a, bob), (b, alice)):
        created = await client.wait_for(of("CHANNEL_CREATE", id=dm["id"]))
        assert created["d"]["recipients"][0]["id"] == other.id

    path = f"/channels/{dm['id']}/messages"
    sent = await alice.call("POST", path, {"content": "psst, bob"}, expect=201)
    got = await b.wait_for(of("MESSAGE_CREATE", id=sent["id"]))
    assert got["d"] == sent and "guild_id" not in got["d"]
    reply = await bob.call("POST", path, {"content": "hi alice"}, expect=201)
    assert (await a.wait_for(of("MESSAGE_CREATE", id=reply["id"])))["d"]["content"] == "hi alice"
    await bob.call("POST", f"/channels/{dm['id']}/typing", expect=204)
    assert (await a.wait_for(of("TYPING_START")))["d"]["user_id"] == bob.id

    await carol.call("GET", path, expect=404)
    # Carol's own DM is sequenced after all of the above: once it reaches her, anything of
    # Alice and Bob's DM would have reached her before it.
    mine = await carol.call("POST", "/users/@me/channels", {"recipient_id": alice.id}, 201)
    await c.wait_for(of("CHANNEL_CREATE", id=mine["id"]))
    assert [f for f in c.dispatches if f["t"] in ("MESSAGE_CREATE", "TYPING_START")] == []
    assert not any(f["d"].get("id") == dm["id"] for f in c.events("CHANNEL_CREATE"))
    for client in (a, b, c):
        await client.drop()


async def test_ready_counts_what_arrived_offline_and_an_ack_clears_it_everywhere(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice, bob)
    general = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    dm = await alice.call("POST", "/users/@me/channels", {"recipient_id": bob.id}, expect=201)

    # Bob is offline while these arrive.
    in_dm = f"/channels/{dm['id']}/messages"
    await alice.call("POST", in_dm, {"content": f"<@{bob.id}> are you there?"}, expect=201)
    last_dm = await alice.call("POST", in_dm, {"content": "hello?"}, expect=201)
    in_guild = f"/channels/{general}/messages"
    await alice.call("POST", in_guild, {"content": "@everyone meeting"}, expect=201)
    last_guild = await alice.call("POST", in_guild, {"content": "now"}, expect=201)

    desktop, ready = await online(bob)
    states = {e["channel_id"]: e for e in ready["d"]["read_state"]}
    assert states[dm["id"]] == {
        "id": dm["id"],
        "channel_id": dm["id"],
        "last_message_id": None,
        "mention_count": 1,
    }
    assert states[general]["mention_count"] == 1  # the @everyone
    guild_create = await desktop.wait_for(of("GUILD_CREATE", id=guild["id"]))
    channel = next(c for c in guild_create["d"]["channels"] if c["id"] == general)
    assert channel["last_message_id"] == last_guild["id"]  # unread: newer than no marker

    browser, _ = await online(bob)
    acked = await bob.call(
        "POST", f"{in_dm}/{last_dm['id']}/ack", expect=200
    )  # read on the desktop
    assert (acked["last_message_id"], acked["mention_count"]) == (last_dm["id"], 0)
    for session in (browser, desktop):
        told = await session.wait_for(of("MESSAGE_ACK", channel_id=dm["id"]))
        assert told["d"]["message_id"] == last_dm["id"]
    await bob.call("POST", f"/channels/{general}/messages/{last_guild['id']}/ack", expect=200)
    await browser.wait_for(of("MESSAGE_ACK", channel_id=general))

    later, ready = await online(bob)
    states = {e["channel_id"]: e for e in ready["d"]["read_state"]}
    assert (states[dm["id"]]["last_message_id"], states[dm["id"]]["mention_count"]) == (
        last_dm["id"],
        0,
    )
    assert (states[general]["last_message_id"], states[general]["mention_count"]) == (
        last_guild["id"],
        0,
    )
    for client in (desktop, browser, later):
        await client.drop()


async def test_a_guild_joined_while_connected_is_heard_without_a_new_identify(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice)
    general = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    b, _ = await online(bob)
    invite = await alice.call("POST", f"/channels/{general}/invites", {}, expect=201)
    await bob.call("POST", f"/invites/{invite['code']}", expect=200)
    await b.wait_for(of("GUILD_CREATE", id=guild["id"]))
    sent = await alice.call("POST", f"/channels/{general}/messages", {"content": "welcome"}, 201)
    assert (await b.wait_for(of("MESSAGE_CREATE", id=sent["id"])))["d"] == sent
    await b.drop()
