"""The authorization matrix: every route of the guild area x (non-member, member without the
permission, member with it, owner).

The cases are generated from ``template.yaml``'s route table, so a new route of these
functions cannot escape: without a row in ``EXPECTED`` its cases fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from shared.config import get_settings
from shared.guilds.domain.permissions import Permission
from shared.messages.storage import attachment_objects
from tests.functional.apigw import request, template
from tests.functional.guildkit import (
    create_guild,
    give_role,
    join,
    make_role,
    new_user,
    text_channel,
)
from tests.images import data_uri, png

pytestmark = pytest.mark.usefixtures("store")
P = Permission

FUNCTIONS = ("GuildsFunction", "ChannelsFunction", "InvitesFunction")
ACTORS = ("non_member", "without", "with", "owner")


@dataclass
class World:
    """A guild where ``@everyone`` may do nothing, and one member of each kind."""

    guild: dict[str, Any]
    owner: int
    without: int
    with_: int
    non_member: int
    target: int
    banned: int
    victim_role: str
    channel: str
    code: str
    emoji: str

    def actor(self, name: str) -> int:
        return {
            "non_member": self.non_member,
            "without": self.without,
            "with": self.with_,
            "owner": self.owner,
        }[name]


def build_world(permission: Permission) -> World:
    owner = new_user()
    guild = create_guild(owner)
    gid = guild["id"]
    nothing = request("PATCH", f"/guilds/{gid}/roles/{gid}", user=owner, body={"permissions": "0"})
    assert nothing.status == 200
    without, with_, target = new_user(), new_user(), new_user()
    for user in (without, with_, target):
        join(guild, user)
    victim_role = make_role(guild, 0, position=1, name="victim")
    give_role(guild, with_, make_role(guild, int(permission), position=10, name="granted"))
    channel = text_channel(guild)
    overwrite = {"type": 0, "allow": "0", "deny": "0"}
    reply = request(
        "PUT", f"/channels/{channel}/permissions/{victim_role}", user=owner, body=overwrite
    )
    assert reply.status == 204
    banned = new_user()
    assert request("PUT", f"/guilds/{gid}/bans/{banned}", user=owner).status == 204
    invite = request("POST", f"/channels/{channel}/invites", user=owner, body={"max_age": 0})
    attachment_objects.client.cache_clear()
    boto3.client("s3").create_bucket(Bucket=get_settings().attachments_bucket)
    emoji = {"name": "matrix", "image": data_uri(png())}
    emoji_reply = request("POST", f"/guilds/{gid}/emojis", user=owner, body=emoji)
    assert emoji_reply.status == 201
    return World(
        guild=guild,
        owner=owner,
        without=without,
        with_=with_,
        non_member=new_user(),
        target=target,
        banned=banned,
        victim_role=victim_role,
        channel=channel,
        code=invite.body["code"],
        emoji=emoji_reply.body["id"],
    )


Build = Callable[[World], tuple[dict[str, str], Any]]


@dataclass(frozen=True)
class Expect:
    """What a route needs, how to call it, and what each actor gets."""

    needs: Permission
    call: Build
    non_member: int
    without: int
    with_: int
    owner: int
    #: The query string, for a route that requires one.
    query: dict[str, str] | None = None

    def status(self, actor: str) -> int:
        return {
            "non_member": self.non_member,
            "without": self.without,
            "with": self.with_,
            "owner": self.owner,
        }[actor]


def guild(w: World) -> dict[str, str]:
    return {"guild_id": w.guild["id"]}


def target(w: World) -> dict[str, str]:
    return {"guild_id": w.guild["id"], "user_id": str(w.target)}


def role(w: World) -> dict[str, str]:
    return {"guild_id": w.guild["id"], "role_id": w.victim_role}


def emoji(w: World) -> dict[str, str]:
    return {"guild_id": w.guild["id"], "emoji_id": w.emoji}


def channel(w: World) -> dict[str, str]:
    return {"channel_id": w.channel}


def anyone(ok: int, call: Build) -> Expect:
    """Any signed-in user may call it."""
    return Expect(P(0), call, ok, ok, ok, ok)


def members(ok: int, call: Build) -> Expect:
    """Any member may call it; others are told the guild does not exist."""
    return Expect(P(0), call, 404, ok, ok, ok)


def needs(permission: Permission, ok: int, call: Build) -> Expect:
    """Members with ``permission`` (and the owner) may call it; other members get 403."""
    return Expect(permission, call, 404, 403, ok, ok)


V = P.VIEW_CHANNEL
EXPECTED: dict[str, Expect] = {
    "POST /api/v1/guilds": anyone(201, lambda w: ({}, {"name": "Another"})),
    "GET /api/v1/guilds/{guild_id}": members(200, lambda w: (guild(w), None)),
    "PATCH /api/v1/guilds/{guild_id}": needs(
        P.MANAGE_GUILD, 200, lambda w: (guild(w), {"name": "Renamed"})
    ),
    # owner only: not even a member holding every permission may delete the guild
    "DELETE /api/v1/guilds/{guild_id}": Expect(
        P.ADMINISTRATOR, lambda w: (guild(w), None), 404, 403, 403, 204
    ),
    "GET /api/v1/users/@me/guilds": anyone(200, lambda w: ({}, None)),
    # the owner cannot leave (400); everyone else who is a member can
    "DELETE /api/v1/users/@me/guilds/{guild_id}": Expect(
        P(0), lambda w: (guild(w), None), 404, 204, 204, 400
    ),
    "GET /api/v1/guilds/{guild_id}/members": members(200, lambda w: (guild(w), None)),
    "GET /api/v1/guilds/{guild_id}/members/search": Expect(
        P(0), lambda w: (guild(w), None), 404, 200, 200, 200, query={"query": "u"}
    ),
    "DELETE /api/v1/guilds/{guild_id}/members/{user_id}": needs(
        P.KICK_MEMBERS, 204, lambda w: (target(w), None)
    ),
    "PATCH /api/v1/guilds/{guild_id}/members/{user_id}": needs(
        P.MANAGE_NICKNAMES, 200, lambda w: (target(w), {"nick": "renamed"})
    ),
    "PUT /api/v1/guilds/{guild_id}/members/{user_id}/roles/{role_id}": needs(
        P.MANAGE_ROLES, 204, lambda w: ({**target(w), "role_id": w.victim_role}, None)
    ),
    "DELETE /api/v1/guilds/{guild_id}/members/{user_id}/roles/{role_id}": needs(
        P.MANAGE_ROLES, 204, lambda w: ({**target(w), "role_id": w.victim_role}, None)
    ),
    "GET /api/v1/guilds/{guild_id}/roles": members(200, lambda w: (guild(w), None)),
    "POST /api/v1/guilds/{guild_id}/roles": needs(
        P.MANAGE_ROLES, 201, lambda w: (guild(w), {"name": "new"})
    ),
    "PATCH /api/v1/guilds/{guild_id}/roles/{role_id}": needs(
        P.MANAGE_ROLES, 200, lambda w: (role(w), {"name": "renamed"})
    ),
    "DELETE /api/v1/guilds/{guild_id}/roles/{role_id}": needs(
        P.MANAGE_ROLES, 204, lambda w: (role(w), None)
    ),
    "GET /api/v1/guilds/{guild_id}/emojis": members(200, lambda w: (guild(w), None)),
    "POST /api/v1/guilds/{guild_id}/emojis": needs(
        P.MANAGE_GUILD_EXPRESSIONS,
        201,
        lambda w: (guild(w), {"name": "new", "image": data_uri(png())}),
    ),
    "PATCH /api/v1/guilds/{guild_id}/emojis/{emoji_id}": needs(
        P.MANAGE_GUILD_EXPRESSIONS, 200, lambda w: (emoji(w), {"name": "renamed"})
    ),
    "DELETE /api/v1/guilds/{guild_id}/emojis/{emoji_id}": needs(
        P.MANAGE_GUILD_EXPRESSIONS, 204, lambda w: (emoji(w), None)
    ),
    "PUT /api/v1/guilds/{guild_id}/bans/{user_id}": needs(
        P.BAN_MEMBERS, 204, lambda w: (target(w), {"reason": "matrix"})
    ),
    "DELETE /api/v1/guilds/{guild_id}/bans/{user_id}": needs(
        P.BAN_MEMBERS,
        204,
        lambda w: ({"guild_id": w.guild["id"], "user_id": str(w.banned)}, None),
    ),
    "GET /api/v1/guilds/{guild_id}/bans": needs(P.BAN_MEMBERS, 200, lambda w: (guild(w), None)),
    "GET /api/v1/guilds/{guild_id}/audit-log": needs(
        P.VIEW_AUDIT_LOG, 200, lambda w: (guild(w), None)
    ),
    "GET /api/v1/guilds/{guild_id}/channels": members(200, lambda w: (guild(w), None)),
    "POST /api/v1/guilds/{guild_id}/channels": needs(
        P.MANAGE_CHANNELS, 201, lambda w: (guild(w), {"name": "new", "type": 0})
    ),
    "PATCH /api/v1/guilds/{guild_id}/channels": needs(
        P.MANAGE_CHANNELS, 204, lambda w: (guild(w), [{"id": w.channel, "position": 5}])
    ),
    "GET /api/v1/channels/{channel_id}": needs(V, 200, lambda w: (channel(w), None)),
    "PATCH /api/v1/channels/{channel_id}": needs(
        V | P.MANAGE_CHANNELS, 200, lambda w: (channel(w), {"name": "renamed"})
    ),
    "DELETE /api/v1/channels/{channel_id}": needs(
        V | P.MANAGE_CHANNELS, 200, lambda w: (channel(w), None)
    ),
    "PUT /api/v1/channels/{channel_id}/permissions/{target_id}": needs(
        V | P.MANAGE_ROLES,
        204,
        lambda w: (
            {**channel(w), "target_id": w.victim_role},
            {"type": 0, "allow": str(int(V)), "deny": "0"},
        ),
    ),
    "DELETE /api/v1/channels/{channel_id}/permissions/{target_id}": needs(
        V | P.MANAGE_ROLES, 204, lambda w: ({**channel(w), "target_id": w.victim_role}, None)
    ),
    "POST /api/v1/channels/{channel_id}/invites": needs(
        V | P.CREATE_INSTANT_INVITE, 201, lambda w: (channel(w), {"max_uses": 1})
    ),
    "GET /api/v1/invites/{code}": anyone(200, lambda w: ({"code": w.code}, None)),
    "POST /api/v1/invites/{code}": anyone(200, lambda w: ({"code": w.code}, None)),
}


def route_keys() -> list[str]:
    """The template's routes served by the guild area's functions."""
    return sorted(r.route_key for r in template().http_routes if r.function_id in FUNCTIONS)


def test_the_matrix_covers_exactly_the_templates_routes() -> None:
    assert route_keys(), "no routes found for the guild area's functions"
    assert set(EXPECTED) - set(route_keys()) == set(), "expectations for routes that are gone"


def call(expect: Expect, route_key: str, world: World, actor: str) -> int:
    params, body = expect.call(world)
    method, path = route_key.split(" ", 1)
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    reply = request(
        method, path.removeprefix("/api/v1"), user=world.actor(actor), body=body, query=expect.query
    )
    return reply.status


@pytest.mark.parametrize("route_key", route_keys())
def test_route_answers_each_kind_of_caller_as_it_should(route_key: str) -> None:
    expect = EXPECTED.get(route_key)
    assert expect is not None, f"{route_key} has no row in the authorization matrix"
    # Callers who are refused change nothing, so they share a world with the member who holds
    # the permission (who goes last); the owner gets a fresh world of their own.
    shared = build_world(expect.needs)
    got = {actor: call(expect, route_key, shared, actor) for actor in ACTORS[:-1]}
    got["owner"] = call(expect, route_key, build_world(expect.needs), "owner")
    assert got == {actor: expect.status(actor) for actor in ACTORS}
