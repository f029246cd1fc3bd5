"""Members: list, kick, nicknames, timeouts, role assignment, and the role hierarchy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.guilds.domain.permissions import Permission
from tests.functional.apigw import request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    give_role,
    join,
    make_role,
    member_with,
    new_user,
    text_channel,
)

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def test_members_page_in_user_id_order() -> None:
    owner = new_user()
    guild = create_guild(owner)
    users = [new_user() for _ in range(4)]
    for user in users:
        join(guild, user)
    url = f"/guilds/{guild['id']}/members"
    everyone = request("GET", url, user=users[0], query={"limit": 1000}).body
    assert [m["user"]["id"] for m in everyone] == [str(u) for u in [owner, *users]]
    first = request("GET", url, user=users[0], query={"limit": 2}).body
    rest = request(
        "GET", url, user=users[0], query={"limit": 1000, "after": first[-1]["user"]["id"]}
    ).body
    assert [m["user"]["id"] for m in first + rest] == [str(u) for u in [owner, *users]]
    assert request("GET", url, user=users[0], query={"limit": 1001}).status == 400
    assert request("GET", url, user=users[0], query={"limit": 0}).status == 400
    assert request("GET", url, user=new_user()).status == 404


def test_kick_needs_kick_members_and_a_higher_role() -> None:
    owner = new_user()
    guild = create_guild(owner)
    low = member_with(guild, P.KICK_MEMBERS, position=1)
    high = member_with(guild, P.KICK_MEMBERS, position=5)
    plain = new_user()
    join(guild, plain)
    url = f"/guilds/{guild['id']}/members"
    assert request("DELETE", f"{url}/{high}", user=plain).status == 403
    reply = request("DELETE", f"{url}/{high}", user=low)
    assert reply.status == 403
    assert reply.body["code"] == "role_hierarchy"
    assert request("DELETE", f"{url}/{owner}", user=high).status == 403
    tap = StreamTap()
    tap.read()
    kicked = request(
        "DELETE", f"{url}/{low}", user=high, headers={"X-Audit-Log-Reason": "too%20noisy"}
    )
    assert kicked.status == 204
    events = tap.events()
    assert [(e["t"], e["user_id"]) for e in events] == [
        ("GUILD_MEMBER_REMOVE", None),
        ("GUILD_DELETE", str(low)),
    ]
    assert events[0]["audit"]["reason"] == "too noisy"
    assert request("GET", f"/guilds/{guild['id']}", user=low).status == 404
    assert request("DELETE", f"{url}/{low}", user=high).status == 404
    # a kicked user may come back: a kick is not a ban
    join(guild, low)


def test_nicknames() -> None:
    owner = new_user()
    guild = create_guild(owner)
    user = new_user()
    join(guild, user)
    url = f"/guilds/{guild['id']}/members"
    reply = request("PATCH", f"{url}/{user}", user=user, body={"nick": "x" * 32})
    assert reply.status == 200
    assert reply.body["nick"] == "x" * 32
    assert request("PATCH", f"{url}/{user}", user=user, body={"nick": "x" * 33}).status == 400
    assert request("PATCH", f"{url}/{owner}", user=user, body={"nick": "boss"}).status == 403
    assert request("PATCH", f"{url}/{user}", user=owner, body={"nick": "renamed"}).status == 200
    reply = request("PATCH", f"{url}/{user}", user=user, body={"nick": None})
    assert reply.body["nick"] is None


def test_timeouts_keep_members_from_sending_until_they_end() -> None:
    owner = new_user()
    guild = create_guild(owner)
    moderator = member_with(guild, P.MODERATE_MEMBERS, position=3)
    user = new_user()
    join(guild, user)
    url = f"/guilds/{guild['id']}/members/{user}"
    body = {"communication_disabled_until": iso(timedelta(hours=1))}
    plain = new_user()
    join(guild, plain)
    assert request("PATCH", url, user=plain, body=body).status == 403
    tap = StreamTap()
    tap.read()
    reply = request("PATCH", url, user=moderator, body=body)
    assert reply.status == 200
    assert reply.body["communication_disabled_until"] is not None
    (event,) = tap.events()
    assert event["t"] == "GUILD_MEMBER_UPDATE"
    assert event["audit"]["changes"][0]["key"] == "communication_disabled_until"
    # a timed-out member cannot make invites (or send, or speak) but still sees the channel
    channel = text_channel(guild)
    assert request("GET", f"/channels/{channel}", user=user).status == 200
    assert request("POST", f"/channels/{channel}/invites", user=user, body={}).status == 403
    reply = request("PATCH", url, user=moderator, body={"communication_disabled_until": None})
    assert reply.body["communication_disabled_until"] is None
    assert request("POST", f"/channels/{channel}/invites", user=user, body={}).status == 201


def test_a_timeout_lasts_at_most_28_days_and_spares_administrators() -> None:
    owner = new_user()
    guild = create_guild(owner)
    user = new_user()
    join(guild, user)
    url = f"/guilds/{guild['id']}/members/{user}"
    almost = {"communication_disabled_until": iso(timedelta(days=28) - timedelta(minutes=1))}
    assert request("PATCH", url, user=owner, body=almost).status == 200
    too_long = {"communication_disabled_until": iso(timedelta(days=28, minutes=1))}
    assert request("PATCH", url, user=owner, body=too_long).status == 400
    naive = {"communication_disabled_until": "2030-01-01T00:00:00"}
    assert request("PATCH", url, user=owner, body=naive).status == 400
    admin = member_with(guild, P.ADMINISTRATOR, position=2)
    reply = request("PATCH", f"/guilds/{guild['id']}/members/{admin}", user=owner, body=almost)
    assert reply.status == 403
    assert reply.body["code"] == "cannot_timeout_admin"
    assert (
        request("PATCH", f"/guilds/{guild['id']}/members/{owner}", user=admin, body=almost).status
        == 403
    )


def test_role_assignment_follows_the_hierarchy() -> None:
    owner = new_user()
    guild = create_guild(owner)
    low_role = make_role(guild, 0, position=1, name="low")
    high_role = make_role(guild, 0, position=8, name="high")
    manager = member_with(guild, P.MANAGE_ROLES, position=5)
    user = new_user()
    join(guild, user)
    url = f"/guilds/{guild['id']}/members/{user}/roles"
    assert request("PUT", f"{url}/{high_role}", user=manager).status == 403
    tap = StreamTap()
    tap.read()
    assert request("PUT", f"{url}/{low_role}", user=manager).status == 204
    assert request("PUT", f"{url}/{low_role}", user=manager).status == 204  # idempotent
    (event,) = tap.events()
    assert event["t"] == "GUILD_MEMBER_UPDATE"
    assert event["d"]["roles"] == [low_role]
    assert event["audit"]["action"] == 25
    members = request("GET", f"/guilds/{guild['id']}/members", user=user, query={"limit": 10})
    mine = next(m for m in members.body if m["user"]["id"] == str(user))
    assert mine["roles"] == [low_role]
    assert request("DELETE", f"{url}/{low_role}", user=manager).status == 204
    assert request("PUT", f"{url}/{guild['id']}", user=owner).status == 404  # @everyone
    assert request("PUT", f"{url}/424242", user=owner).status == 404


def test_deleted_roles_stop_counting_at_once() -> None:
    owner = new_user()
    guild = create_guild(owner)
    role = make_role(guild, P.KICK_MEMBERS, position=2)
    user = new_user()
    join(guild, user)
    give_role(guild, user, role)
    victim = new_user()
    join(guild, victim)
    assert request("DELETE", f"/guilds/{guild['id']}/roles/{role}", user=owner).status == 204
    url = f"/guilds/{guild['id']}/members"
    assert request("DELETE", f"{url}/{victim}", user=user).status == 403
    listed = request("GET", url, user=user, query={"limit": 10}).body
    assert all(m["roles"] == [] for m in listed)
