"""Messaging through the running stack: live events to a guild's members, and history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def online(user: User) -> GatewayClient:
    client = GatewayClient(user.stack.info["ws_url"], user.token, user.http)
    await client.connect()
    await client.identify()
    return client


def of(t: str) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame.get("t") == t


async def test_a_joining_member_is_announced_on_the_gateway(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    owner, joiner = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(owner)
    watching = await online(owner)
    general = next(c for c in guild["channels"] if c["type"] == 0)
    invite = await owner.call("POST", f"/channels/{general['id']}/invites", {}, expect=201)
    await joiner.call("POST", f"/invites/{invite['code']}", expect=200)
    added = await watching.wait_for(of("GUILD_MEMBER_ADD"))
    assert added["d"]["user"]["id"] == joiner.id
    await watching.drop()


async def test_two_members_see_each_others_messages_live(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice, bob)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    a, b = await online(alice), await online(bob)
    ready_s = b.last_s

    sent = await alice.call("POST", f"/channels/{channel}/messages", {"content": "hi bob"}, 201)
    created = await b.wait_for(of("MESSAGE_CREATE"))
    assert created["d"] == sent
    assert created["s"] > ready_s
    assert created["d"]["author"]["id"] == alice.id

    path = f"/channels/{channel}/messages/{sent['id']}"
    await alice.call("PATCH", path, {"content": "hi bob!"}, expect=200)
    assert (await b.wait_for(of("MESSAGE_UPDATE")))["d"]["content"] == "hi bob!"
    await bob.call("PUT", f"{path}/reactions/%F0%9F%91%8D/@me", expect=204)
    reaction = await a.wait_for(of("MESSAGE_REACTION_ADD"))
    assert reaction["d"]["emoji"]["name"] == "👍"
    assert reaction["d"]["user_id"] == bob.id
    await alice.call("PUT", f"/channels/{channel}/pins/{sent['id']}", expect=204)
    assert (await b.wait_for(of("CHANNEL_PINS_UPDATE")))["d"]["channel_id"] == channel
    await bob.call("POST", f"/channels/{channel}/typing", expect=204)
    assert (await a.wait_for(of("TYPING_START")))["d"]["user_id"] == bob.id
    await alice.call("DELETE", path, expect=204)
    assert (await b.wait_for(of("MESSAGE_DELETE")))["d"]["id"] == sent["id"]

    history = await bob.call("GET", f"/channels/{channel}/messages?limit=10", expect=200)
    assert sent["id"] not in [m["id"] for m in history]
    sequence = [d["s"] for d in b.dispatches if d["t"] not in ("READY", "GUILD_CREATE")]
    assert sequence == sorted(sequence)
    assert b.repeats == 0
    await a.drop()
    await b.drop()


async def test_a_member_who_may_not_view_a_channel_hears_nothing_of_it(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    owner, insider, outsider = (User.register(parley_stack, http) for _ in range(3))
    guild = await guild_with(owner, insider, outsider)
    secret = await owner.call(
        "POST",
        f"/guilds/{guild['id']}/channels",
        {
            "name": "secret",
            "type": 0,
            "permission_overwrites": [
                {"id": guild["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
                {"id": insider.id, "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
            ],
        },
        expect=201,
    )
    general = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    inside, outside = await online(insider), await online(outsider)
    await owner.call("POST", f"/channels/{secret['id']}/messages", {"content": "psst"}, 201)
    await owner.call("POST", f"/channels/{general}/messages", {"content": "hello all"}, 201)
    assert (await inside.wait_for(of("MESSAGE_CREATE")))["d"]["content"] == "psst"
    seen = await outside.wait_for(of("MESSAGE_CREATE"))
    assert seen["d"]["content"] == "hello all"  # the secret one, sent first, never came
    assert all(d["d"].get("channel_id") != secret["id"] for d in outside.events("MESSAGE_CREATE"))
    await outsider.call("GET", f"/channels/{secret['id']}/messages", expect=403)
    await inside.drop()
    await outside.drop()


async def test_invite_codes_and_reply_previews_reach_only_those_allowed(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    """An invite's code only to those who manage the channel; the message a reply answers only
    to those who may read the history (the others get the reply without it)."""
    owner, reader, blind = (User.register(parley_stack, http) for _ in range(3))
    guild = await guild_with(owner, reader, blind)
    general = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    deny = {"type": 1, "allow": "0", "deny": str(READ_MESSAGE_HISTORY)}
    await owner.call("PUT", f"/channels/{general}/permissions/{blind.id}", deny, expect=204)
    watching, reading, not_reading = await online(owner), await online(reader), await online(blind)

    invite = await owner.call("POST", f"/channels/{general}/invites", {}, expect=201)
    said = await owner.call("POST", f"/channels/{general}/messages", {"content": "the plan"}, 201)
    body = {"content": "agreed", "reply_to": said["id"]}
    reply = await owner.call("POST", f"/channels/{general}/messages", body, 201)

    assert (await watching.wait_for(of("INVITE_CREATE")))["d"]["code"] == invite["code"]
    is_reply = lambda f: of("MESSAGE_CREATE")(f) and f["d"]["id"] == reply["id"]  # noqa: E731
    seen = await reading.wait_for(is_reply)
    assert seen["d"]["referenced_message"]["content"] == "the plan"
    told = await not_reading.wait_for(is_reply)
    assert "referenced_message" not in told["d"]
    assert told["d"]["message_reference"]["message_id"] == said["id"]
    # delivered in log order: the invite, before the messages, would have come by now
    assert reading.events("INVITE_CREATE") == [] and not_reading.events("INVITE_CREATE") == []
    for client in (watching, reading, not_reading):
        await client.drop()


async def test_losing_view_channel_stops_live_delivery_at_once(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    """The fan-out keeps who may see a channel between messages: an overwrite or a role taken
    away must still count from the next message on."""
    owner, member = (User.register(parley_stack, http) for _ in range(2))
    guild = await guild_with(owner, member)
    channels = [c["id"] for c in guild["channels"] if c["type"] == 0]
    general = channels[0]
    role = await owner.call("POST", f"/guilds/{guild['id']}/roles", {"name": "viewers"}, expect=201)
    room = await owner.call(
        "POST",
        f"/guilds/{guild['id']}/channels",
        {
            "name": "room",
            "type": 0,
            "permission_overwrites": [
                {"id": guild["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
                {"id": role["id"], "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
            ],
        },
        expect=201,
    )
    await owner.call(
        "PUT", f"/guilds/{guild['id']}/members/{member.id}/roles/{role['id']}", expect=204
    )
    listening = await online(member)

    async def heard(channel: str, content: str) -> bool:
        """Sends ``content`` to ``channel`` then a marker to general; whether it was heard
        before the marker (the log delivers in order)."""
        await owner.call("POST", f"/channels/{channel}/messages", {"content": content}, 201)
        await owner.call("POST", f"/channels/{general}/messages", {"content": f"/{content}"}, 201)
        await listening.wait_for(
            lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["content"] == f"/{content}"
        )
        return content in {f["d"]["content"] for f in listening.events("MESSAGE_CREATE")}

    assert await heard(general, "everyone")
    assert await heard(room["id"], "with the role")
    await owner.call(
        "DELETE",
        f"/guilds/{guild['id']}/members/{member.id}/roles/{role['id']}",
        expect=204,
    )
    assert not await heard(room["id"], "role taken away")
    await owner.call(
        "PUT",
        f"/channels/{room['id']}/permissions/{member.id}",
        {"type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
        expect=204,
    )
    assert await heard(room["id"], "allowed by an overwrite")
    await owner.call(
        "PUT",
        f"/channels/{room['id']}/permissions/{member.id}",
        {"type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)},
        expect=204,
    )
    assert not await heard(room["id"], "denied by the overwrite")
    await listening.drop()


async def test_history_pages_across_250_messages(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    author = User.register(parley_stack, http)
    guild = await guild_with(author)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    sent = []
    for n in range(250):
        message = await author.call(
            "POST", f"/channels/{channel}/messages", {"content": f"m{n}"}, 201
        )
        sent.append(message["id"])
    pages, before = [], None
    while True:
        query = f"?limit=100&before={before}" if before else "?limit=100"
        page = await author.call("GET", f"/channels/{channel}/messages{query}", expect=200)
        if not page:
            break
        pages.append(page)
        before = page[-1]["id"]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [m["id"] for p in pages for m in p] == list(reversed(sent))
    for bad in ("?before=abc", "?limit=0", "?limit=101"):
        await author.call("GET", f"/channels/{channel}/messages{bad}", expect=400)


async def test_a_channel_deleted_or_hidden_leaves_the_lists_of_those_who_saw_it(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    """CHANNEL_DELETE reaches those who could see the channel (it is judged on the channel as
    it was: it no longer exists), and an overwrite that hides a channel from a member is, for
    them, its deletion; those who still see it get the CHANNEL_UPDATE."""
    owner, member, other = (User.register(parley_stack, http) for _ in range(3))
    guild = await guild_with(owner, member, other)
    general = next(c for c in guild["channels"] if c["type"] == 0)["id"]

    async def channel(name: str, *overwrites: dict[str, Any]) -> str:
        body = {"name": name, "type": 0, "permission_overwrites": list(overwrites)}
        made = await owner.call("POST", f"/guilds/{guild['id']}/channels", body, expect=201)
        return str(made["id"])

    hidden = {"id": guild["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
    doomed = await channel("doomed")
    room = await channel(
        "room", hidden, {"id": member.id, "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"}
    )
    lobby = await channel("lobby")
    clients = {"member": await online(member), "other": await online(other)}

    async def then_mark(step: str) -> dict[str, list[tuple[str, str]]]:
        """After a step: a marker in general, awaited by both; the channel events each got."""
        await owner.call("POST", f"/channels/{general}/messages", {"content": step}, 201)
        for client in clients.values():
            await client.wait_for(
                lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["content"] == step
            )
        return {
            who: [
                (f["t"], f["d"]["id"])
                for f in client.dispatches
                if f["t"] in ("CHANNEL_UPDATE", "CHANNEL_DELETE")
            ]
            for who, client in clients.items()
        }

    await owner.call("DELETE", f"/channels/{doomed}", expect=200)
    await owner.call("DELETE", f"/channels/{room}", expect=200)
    seen = await then_mark("deleted")
    assert seen["member"] == [("CHANNEL_DELETE", doomed), ("CHANNEL_DELETE", room)]
    assert seen["other"] == [("CHANNEL_DELETE", doomed)]  # never saw the room

    await owner.call(
        "PUT",
        f"/channels/{lobby}/permissions/{member.id}",
        {"type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)},
        expect=204,
    )
    seen = await then_mark("hidden")
    assert seen["member"][-1] == ("CHANNEL_DELETE", lobby)
    (gone,) = [f for f in clients["member"].events("CHANNEL_DELETE") if f["d"]["id"] == lobby]
    assert set(gone["d"]) <= {"id", "guild_id", "type", "parent_id"}  # nothing else of it
    assert seen["other"][-1] == ("CHANNEL_UPDATE", lobby)
    await owner.call("GET", f"/channels/{lobby}/messages", expect=200)
    await member.call("GET", f"/channels/{lobby}/messages", expect=403)
    for client in clients.values():
        await client.drop()
