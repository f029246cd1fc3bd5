"""Guilds: create, read, update, delete, the caller's guilds, leaving."""

from __future__ import annotations

import pytest

from shared.guilds.domain.permissions import Permission
from tests.functional.apigw import request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    join,
    member_with,
    new_user,
)

pytestmark = pytest.mark.usefixtures("store")


def test_create_answers_the_whole_guild_with_defaults() -> None:
    owner = new_user()
    reply = request("POST", "/guilds", user=owner, body={"name": "  Parley HQ  "})
    assert reply.status == 201
    guild = reply.body
    assert guild["name"] == "Parley HQ"
    assert guild["owner_id"] == str(owner)
    assert guild["id"].isdigit()
    channels = {(c["name"], c["type"]) for c in guild["channels"]}
    assert channels == {("general", 0), ("General", 2)}
    assert all(c["guild_id"] == guild["id"] for c in guild["channels"])
    (everyone,) = guild["roles"]
    assert everyone["id"] == guild["id"]
    assert everyone["name"] == "@everyone"
    assert int(everyone["permissions"]) & Permission.SEND_MESSAGES
    assert not int(everyone["permissions"]) & Permission.ADMINISTRATOR


def test_create_emits_guild_create_to_the_owner() -> None:
    tap = StreamTap()
    owner = new_user()
    guild = create_guild(owner)
    (event,) = tap.events()
    assert event["t"] == "GUILD_CREATE"
    assert event["guild_id"] == guild["id"]
    assert event["user_id"] == str(owner)
    assert event["d"]["channels"] == guild["channels"]


@pytest.mark.parametrize(
    ("name", "status"),
    [("a", 400), ("ab", 201), ("x" * 100, 201), ("x" * 101, 400), ("   a   ", 400)],
)
def test_guild_name_length_is_enforced_at_its_edges(name: str, status: int) -> None:
    reply = request("POST", "/guilds", user=new_user(), body={"name": name})
    assert reply.status == status, reply
    if status == 400:
        assert reply.body["code"] in ("invalid", "invalid_guild_name")


def test_bad_bodies_and_ids_are_400s_in_the_contract_shape() -> None:
    user = new_user()
    for body in (None, {}, {"name": 5}, ["x"]):
        reply = request("POST", "/guilds", user=user, body=body)
        assert reply.status == 400, (body, reply)
        assert set(reply.body) <= {"code", "message", "errors"}
    reply = request("GET", "/guilds/not-a-number", user=user)
    assert reply.status == 400
    reply = request("GET", f"/guilds/{1 << 64}", user=user)
    assert reply.status == 400


def test_without_verified_claims_every_route_refuses() -> None:
    reply = request("POST", "/guilds", user=None, body={"name": "x" * 5})
    assert reply.status == 401
    assert reply.body["code"] == "unauthorized"


def test_update_needs_manage_guild_and_emits_guild_update() -> None:
    owner = new_user()
    guild = create_guild(owner)
    plain = new_user()
    join(guild, plain)
    manager = member_with(guild, Permission.MANAGE_GUILD)
    assert (
        request("PATCH", f"/guilds/{guild['id']}", user=plain, body={"name": "Nope"}).status == 403
    )
    tap = StreamTap()
    tap.read()
    reply = request(
        "PATCH",
        f"/guilds/{guild['id']}",
        user=manager,
        body={"name": "Renamed", "description": "About us"},
    )
    assert reply.status == 200
    assert reply.body["name"] == "Renamed"
    assert reply.body["description"] == "About us"
    (event,) = tap.events()
    assert event["t"] == "GUILD_UPDATE"
    assert event["d"]["name"] == "Renamed"
    assert {c["key"] for c in event["audit"]["changes"]} == {"name", "description"}
    assert request("GET", f"/guilds/{guild['id']}", user=plain).body["name"] == "Renamed"


def test_get_is_for_members_only() -> None:
    guild = create_guild(new_user())
    reply = request("GET", f"/guilds/{guild['id']}", user=new_user())
    assert reply.status == 404
    assert reply.body["code"] == "unknown_guild"


def test_delete_is_owner_only_and_the_guild_is_gone_at_once() -> None:
    owner = new_user()
    guild = create_guild(owner)
    admin = member_with(guild, Permission.ADMINISTRATOR)
    assert request("DELETE", f"/guilds/{guild['id']}", user=admin).status == 403
    tap = StreamTap()
    tap.read()
    assert request("DELETE", f"/guilds/{guild['id']}", user=owner).status == 204
    assert [e["t"] for e in tap.events()] == ["GUILD_DELETE"]
    for user in (owner, admin):
        assert request("GET", f"/guilds/{guild['id']}", user=user).status == 404
        assert request("GET", "/users/@me/guilds", user=user).body == []
    channel = guild["channels"][0]["id"]
    assert request("GET", f"/channels/{channel}", user=owner).status == 404
    assert request("DELETE", f"/guilds/{guild['id']}", user=owner).status == 404


def test_my_guilds_pages_in_id_order() -> None:
    user = new_user()
    guilds = [create_guild(user, f"guild {i}") for i in range(5)]
    other = create_guild(new_user())
    join(other, user)
    ids = [g["id"] for g in guilds] + [other["id"]]
    everything = request("GET", "/users/@me/guilds", user=user).body
    assert [g["id"] for g in everything] == ids
    assert [g["owner"] for g in everything] == [True] * 5 + [False]
    first = request("GET", "/users/@me/guilds", user=user, query={"limit": 2}).body
    assert [g["id"] for g in first] == ids[:2]
    rest = request(
        "GET", "/users/@me/guilds", user=user, query={"after": first[-1]["id"], "limit": 200}
    ).body
    assert [g["id"] for g in rest] == ids[2:]
    before = request("GET", "/users/@me/guilds", user=user, query={"before": ids[2]}).body
    assert [g["id"] for g in before] == ids[:2]


@pytest.mark.parametrize(("limit", "status"), [(0, 400), (1, 200), (200, 200), (201, 400)])
def test_my_guilds_limit_edges(limit: int, status: int) -> None:
    reply = request("GET", "/users/@me/guilds", user=new_user(), query={"limit": limit})
    assert reply.status == status


def test_leave_removes_the_membership_but_the_owner_cannot_leave() -> None:
    owner = new_user()
    guild = create_guild(owner)
    user = new_user()
    join(guild, user)
    tap = StreamTap()
    tap.read()
    assert request("DELETE", f"/users/@me/guilds/{guild['id']}", user=user).status == 204
    events = tap.events()
    assert [(e["t"], e["user_id"]) for e in events] == [
        ("GUILD_MEMBER_REMOVE", None),
        ("GUILD_DELETE", str(user)),
    ]
    assert request("GET", f"/guilds/{guild['id']}", user=user).status == 404
    assert request("DELETE", f"/users/@me/guilds/{guild['id']}", user=user).status == 404
    reply = request("DELETE", f"/users/@me/guilds/{guild['id']}", user=owner)
    assert reply.status == 400
    assert reply.body["code"] == "owner_cannot_leave"
    assert request("GET", f"/guilds/{guild['id']}", user=owner).body["member_count"] == 1
