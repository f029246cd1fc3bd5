"""Roles: create, update, delete, the limit of 250, the hierarchy and permission escalation."""

from __future__ import annotations

import pytest

from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission
from shared.table.keys import GUILD_SK, guild_pk
from tests.functional.apigw import request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    make_role,
    member_with,
    new_user,
    set_attributes,
)

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def test_create_update_delete_emit_role_events() -> None:
    owner = new_user()
    guild = create_guild(owner)
    url = f"/guilds/{guild['id']}/roles"
    tap = StreamTap()
    tap.read()
    body = {"name": "mods", "permissions": str(int(P.KICK_MEMBERS)), "color": 0xFF0000}
    created = request("POST", url, user=owner, body=body)
    assert created.status == 201
    role = created.body
    assert role["permissions"] == str(int(P.KICK_MEMBERS))
    assert role["position"] == 1
    updated = request(
        "PATCH", f"{url}/{role['id']}", user=owner, body={"name": "moderators", "hoist": True}
    )
    assert updated.status == 200
    assert updated.body["name"] == "moderators"
    assert request("DELETE", f"{url}/{role['id']}", user=owner).status == 204
    assert request("DELETE", f"{url}/{role['id']}", user=owner).status == 404
    events = tap.events()
    assert [e["t"] for e in events] == [
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
    ]
    assert events[2]["d"] == {"guild_id": guild["id"], "role_id": role["id"]}
    assert [e["audit"]["action"] for e in events] == [30, 31, 32]
    names = [r["name"] for r in request("GET", url, user=owner).body]
    assert names == ["@everyone"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"color": 0x1000000},
        {"color": -1},
        {"permissions": "-5"},
        {"permissions": "abc"},
        {"permissions": 1.5},
    ],
)
def test_bad_roles_are_refused(body: dict) -> None:
    owner = new_user()
    guild = create_guild(owner)
    assert request("POST", f"/guilds/{guild['id']}/roles", user=owner, body=body).status == 400


def test_at_most_250_roles() -> None:
    owner = new_user()
    guild = create_guild(owner)
    set_attributes(
        {"PK": guild_pk(int(guild["id"])), "SK": GUILD_SK}, role_count=limits.MAX_ROLES - 1
    )
    url = f"/guilds/{guild['id']}/roles"
    assert request("POST", url, user=owner, body={"name": "250th"}).status == 201
    reply = request("POST", url, user=owner, body={"name": "251st"})
    assert reply.status == 400
    assert reply.body["code"] == "max_roles"


def test_nobody_manages_a_role_at_or_above_their_highest() -> None:
    owner = new_user()
    guild = create_guild(owner)
    manager = member_with(guild, P.MANAGE_ROLES, position=5)
    equal = make_role(guild, 0, position=5, name="equal")
    above = make_role(guild, 0, position=6, name="above")
    below = make_role(guild, 0, position=4, name="below")
    url = f"/guilds/{guild['id']}/roles"
    for role in (equal, above):
        reply = request("PATCH", f"{url}/{role}", user=manager, body={"name": "x"})
        assert reply.status == 403, reply
        assert request("DELETE", f"{url}/{role}", user=manager).status == 403
    assert request("PATCH", f"{url}/{below}", user=manager, body={"name": "ok"}).status == 200
    # nor move one up to their own level
    reply = request("PATCH", f"{url}/{below}", user=manager, body={"position": 5})
    assert reply.status == 403
    assert request("PATCH", f"{url}/{below}", user=manager, body={"position": 3}).status == 200
    assert request("DELETE", f"{url}/{below}", user=manager).status == 204


def test_nobody_grants_permissions_they_lack() -> None:
    owner = new_user()
    guild = create_guild(owner)
    manager = member_with(guild, P.MANAGE_ROLES | P.KICK_MEMBERS, position=5)
    url = f"/guilds/{guild['id']}/roles"
    ban = {"name": "x", "permissions": str(int(P.BAN_MEMBERS))}
    assert request("POST", url, user=manager, body=ban).status == 403
    kick = {"name": "x", "permissions": str(int(P.KICK_MEMBERS))}
    role = request("POST", url, user=manager, body=kick)
    assert role.status == 201
    admin = {"permissions": str(int(P.ADMINISTRATOR))}
    assert request("PATCH", f"{url}/{role.body['id']}", user=manager, body=admin).status == 403
    assert request("PATCH", f"{url}/{role.body['id']}", user=owner, body=admin).status == 200


def test_everyone_keeps_its_name_and_position() -> None:
    owner = new_user()
    guild = create_guild(owner)
    url = f"/guilds/{guild['id']}/roles/{guild['id']}"
    assert request("PATCH", url, user=owner, body={"name": "all"}).status == 400
    reply = request("PATCH", url, user=owner, body={"permissions": "0"})
    assert reply.status == 200
    assert reply.body["permissions"] == "0"
    assert request("DELETE", url, user=owner).status == 400
