"""Channels: create, read, update, delete, reorder, overwrites, and the limits at their edges."""

from __future__ import annotations

from typing import Any

import pytest

from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission
from shared.table.keys import GUILD_SK, guild_pk
from tests.functional.apigw import request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    give_role,
    join,
    make_role,
    member_with,
    new_user,
    seed_channels,
    seed_members,
    seed_overwrites,
    set_attributes,
    text_channel,
)

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def new_channel(guild: dict[str, Any], user: int, **body: Any) -> Any:
    return request("POST", f"/guilds/{guild['id']}/channels", user=user, body=body)


def test_create_text_voice_and_category_channels() -> None:
    owner = new_user()
    guild = create_guild(owner)
    tap = StreamTap()
    tap.read()
    category = new_channel(guild, owner, name="Lobby", type=4)
    assert category.status == 201, category
    voice = new_channel(
        guild, owner, name="Talk", type=2, parent_id=category.body["id"], bitrate=32_000
    )
    assert voice.status == 201
    assert voice.body["parent_id"] == category.body["id"]
    assert voice.body["bitrate"] == 32_000
    text = new_channel(guild, owner, name="news", topic="Read me")
    assert text.body["type"] == 0
    assert text.body["topic"] == "Read me"
    listed = request("GET", f"/guilds/{guild['id']}/channels", user=owner).body
    assert {c["name"] for c in listed} == {"general", "General", "Lobby", "Talk", "news"}
    events = tap.events()
    assert [e["t"] for e in events] == ["CHANNEL_CREATE"] * 3
    assert [e["channel_id"] for e in events] == [
        category.body["id"],
        voice.body["id"],
        text.body["id"],
    ]
    assert all(e["guild_id"] == guild["id"] for e in events)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "type": 1}, "invalid"),
        ({"name": "x", "type": 3}, "invalid"),
        ({"name": "", "type": 0}, "invalid"),
        ({"name": "x" * 101}, "invalid"),
        ({"name": "x", "topic": "t" * 1025}, "invalid"),
        ({"name": "x", "type": 2, "bitrate": 7_999}, "invalid"),
        ({"name": "x", "type": 2, "user_limit": 100}, "invalid"),
        ({"name": "x", "parent_id": "12x"}, "invalid_id"),
        ({"name": "x", "type": 4, "parent_id": "1"}, "invalid_parent"),
    ],
)
def test_bad_channels_are_refused(body: dict[str, Any], code: str) -> None:
    owner = new_user()
    reply = new_channel(create_guild(owner), owner, **body)
    assert reply.status == 400, reply
    assert reply.body["code"] == code


def test_name_and_topic_edges_are_allowed() -> None:
    owner = new_user()
    guild = create_guild(owner)
    assert new_channel(guild, owner, name="x" * 100, topic="t" * 1024).status == 201


def test_a_parent_must_be_a_category_of_the_same_guild() -> None:
    owner = new_user()
    guild = create_guild(owner)
    other = create_guild(owner)
    foreign = new_channel(other, owner, name="cat", type=4).body["id"]
    for parent in (text_channel(guild), foreign):
        reply = new_channel(guild, owner, name="x", parent_id=parent)
        assert reply.status == 400
        assert reply.body["code"] == "invalid_parent"


def test_at_most_500_channels() -> None:
    owner = new_user()
    guild = create_guild(owner)
    key = {"PK": guild_pk(int(guild["id"])), "SK": GUILD_SK}
    set_attributes(key, channel_count=limits.MAX_CHANNELS - 1)
    assert new_channel(guild, owner, name="the 500th").status == 201
    reply = new_channel(guild, owner, name="the 501st")
    assert reply.status == 400
    assert reply.body["code"] == "max_channels"
    # deleting one makes room again
    channel = text_channel(guild)
    assert request("DELETE", f"/channels/{channel}", user=owner).status == 200
    assert new_channel(guild, owner, name="again").status == 201


def test_channel_routes_need_their_permissions_in_the_channel() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    plain = new_user()
    join(guild, plain)
    manager = member_with(guild, P.MANAGE_CHANNELS)
    assert request("GET", f"/channels/{channel}", user=plain).status == 200
    assert new_channel(guild, plain, name="nope").status == 403
    assert request("PATCH", f"/channels/{channel}", user=plain, body={"name": "x"}).status == 403
    reply = request("PATCH", f"/channels/{channel}", user=manager, body={"name": "renamed"})
    assert reply.status == 200
    assert reply.body["name"] == "renamed"
    # an overwrite can take MANAGE_CHANNELS away in one channel only
    deny = {"type": 1, "deny": str(int(P.MANAGE_CHANNELS))}
    assert (
        request("PUT", f"/channels/{channel}/permissions/{manager}", user=owner, body=deny).status
        == 204
    )
    assert request("PATCH", f"/channels/{channel}", user=manager, body={"name": "x"}).status == 403
    assert new_channel(guild, manager, name="still ok").status == 201


def test_view_channel_overwrites_hide_channels() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    plain = new_user()
    join(guild, plain)
    staff_role = make_role(guild, 0, name="staff")
    staff = new_user()
    join(guild, staff)
    give_role(guild, staff, staff_role)
    hide = {"type": 0, "deny": str(int(P.VIEW_CHANNEL))}
    show = {"type": 0, "allow": str(int(P.VIEW_CHANNEL))}
    base = f"/channels/{channel}/permissions"
    assert request("PUT", f"{base}/{guild['id']}", user=owner, body=hide).status == 204
    assert request("PUT", f"{base}/{staff_role}", user=owner, body=show).status == 204
    assert request("GET", f"/channels/{channel}", user=plain).status == 403
    assert request("GET", f"/channels/{channel}", user=staff).status == 200
    names = {
        user: {c["id"] for c in request("GET", f"/guilds/{guild['id']}/channels", user=user).body}
        for user in (plain, staff, owner)
    }
    assert channel not in names[plain]
    assert channel in names[staff]
    assert channel in names[owner]
    stored = request("GET", f"/channels/{channel}", user=owner).body["permission_overwrites"]
    assert {(o["id"], o["type"]) for o in stored} == {(guild["id"], 0), (staff_role, 0)}
    assert request("DELETE", f"{base}/{staff_role}", user=owner).status == 204
    assert request("GET", f"/channels/{channel}", user=staff).status == 403
    assert request("DELETE", f"{base}/{staff_role}", user=owner).status == 404


def test_overwrites_only_grant_what_the_caller_holds() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    manager = member_with(guild, P.MANAGE_ROLES | P.VIEW_CHANNEL)
    base = f"/channels/{channel}/permissions/{guild['id']}"
    allow_kick = {"type": 0, "allow": str(int(P.KICK_MEMBERS))}
    reply = request("PUT", base, user=manager, body=allow_kick)
    assert reply.status == 403
    allow_view = {"type": 0, "allow": str(int(P.VIEW_CHANNEL))}
    assert request("PUT", base, user=manager, body=allow_view).status == 204
    admin_bit = {"type": 0, "allow": str(int(P.ADMINISTRATOR))}
    reply = request("PUT", base, user=owner, body=admin_bit)
    assert reply.status == 400
    unknown = {"type": 0, "allow": "0"}
    reply = request("PUT", f"/channels/{channel}/permissions/12345", user=owner, body=unknown)
    assert reply.status == 404
    assert reply.body["code"] == "unknown_role"


def test_at_most_100_overwrites_per_channel() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    users = seed_members(guild, limits.MAX_OVERWRITES + 1)
    view = int(P.VIEW_CHANNEL)
    seed_overwrites(guild, channel, users[: limits.MAX_OVERWRITES - 1], view)
    body = {"type": 1, "allow": str(view)}
    url = f"/channels/{channel}/permissions"
    assert request("PUT", f"{url}/{users[-2]}", user=owner, body=body).status == 204
    reply = request("PUT", f"{url}/{users[-1]}", user=owner, body=body)
    assert reply.status == 400
    assert reply.body["code"] == "max_overwrites"
    stored = request("GET", f"/channels/{channel}", user=owner).body["permission_overwrites"]
    assert len(stored) == limits.MAX_OVERWRITES
    # changing an existing one is still allowed
    body["deny"] = str(int(P.SEND_MESSAGES))
    assert request("PUT", f"{url}/{users[0]}", user=owner, body=body).status == 204


def test_reorder_moves_positions_all_or_none() -> None:
    owner = new_user()
    guild = create_guild(owner)
    ids = [c["id"] for c in guild["channels"]]
    tap = StreamTap()
    tap.read()
    body = [{"id": ids[0], "position": 7}, {"id": ids[1], "position": 3}]
    assert request("PATCH", f"/guilds/{guild['id']}/channels", user=owner, body=body).status == 204
    listed = request("GET", f"/guilds/{guild['id']}/channels", user=owner).body
    assert [(c["id"], c["position"]) for c in listed] == [(ids[1], 3), (ids[0], 7)]
    assert [e["t"] for e in tap.events()] == ["CHANNEL_UPDATE", "CHANNEL_UPDATE"]
    bad = [{"id": ids[0], "position": 1}, {"id": "424242", "position": 2}]
    reply = request("PATCH", f"/guilds/{guild['id']}/channels", user=owner, body=bad)
    assert reply.status == 404
    listed = request("GET", f"/guilds/{guild['id']}/channels", user=owner).body
    assert [(c["id"], c["position"]) for c in listed] == [(ids[1], 3), (ids[0], 7)]
    assert tap.events() == []


def test_reorder_takes_at_most_50_channels() -> None:
    owner = new_user()
    guild = create_guild(owner)
    ids = [c["id"] for c in guild["channels"]]
    ids += seed_channels(guild, limits.MAX_REORDER - 2)
    assert len(ids) == limits.MAX_REORDER
    body = [{"id": cid, "position": 100 + i} for i, cid in enumerate(ids)]
    url = f"/guilds/{guild['id']}/channels"
    assert request("PATCH", url, user=owner, body=body).status == 204
    body.append({"id": "1", "position": 1})
    assert request("PATCH", url, user=owner, body=body).status == 400
    assert request("PATCH", url, user=owner, body=[]).status == 400


def test_delete_emits_channel_delete_and_orphans_a_categorys_children() -> None:
    owner = new_user()
    guild = create_guild(owner)
    category = new_channel(guild, owner, name="cat", type=4).body["id"]
    child = new_channel(guild, owner, name="kid", parent_id=category).body["id"]
    tap = StreamTap()
    tap.read()
    reply = request("DELETE", f"/channels/{category}", user=owner)
    assert reply.status == 200
    assert reply.body["id"] == category
    assert request("GET", f"/channels/{category}", user=owner).status == 404
    tap.pump()
    assert request("GET", f"/channels/{child}", user=owner).body["parent_id"] is None
    after = StreamTap()
    names = [e["t"] for e in after.events()]
    assert names.count("CHANNEL_DELETE") == 1
    assert names.count("CHANNEL_UPDATE") == 1


def test_patch_channel_moves_it_between_categories() -> None:
    owner = new_user()
    guild = create_guild(owner)
    category = new_channel(guild, owner, name="cat", type=4).body["id"]
    channel = text_channel(guild)
    url = f"/channels/{channel}"
    assert (
        request("PATCH", url, user=owner, body={"parent_id": category}).body["parent_id"]
        == category
    )
    assert request("PATCH", url, user=owner, body={"parent_id": None}).body["parent_id"] is None
    reply = request("PATCH", url, user=owner, body={"parent_id": channel})
    assert reply.status == 400
    reply = request("PATCH", url, user=owner, body={"topic": "x" * 1025})
    assert reply.status == 400
