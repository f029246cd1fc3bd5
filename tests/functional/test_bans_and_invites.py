"""Bans hold against rejoining; invites expire, run out, and are checked atomically."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.gateway import lifecycle
from shared.gateway.domain.log_events import Scope
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission
from shared.outbox.storage.outbox import pending_from_record
from shared.presence import presence
from shared.table.keys import INVITE_SK, invite_pk
from tests.functional.apigw import request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    is_outbox_insert,
    join,
    member_with,
    new_user,
    outbox_event,
    set_attributes,
    text_channel,
)
from tests.functional.test_voice import gateway, node, session_for, voice_channel

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def invite(guild: dict, user: int | None = None, **body: int) -> str:
    user = user or int(guild["owner_id"])
    reply = request("POST", f"/channels/{text_channel(guild)}/invites", user=user, body=body)
    assert reply.status == 201, reply
    return reply.body["code"]


def test_a_ban_removes_the_member_and_holds_against_rejoining() -> None:
    owner = new_user()
    guild = create_guild(owner)
    user = new_user()
    join(guild, user)
    code = invite(guild, max_uses=0)
    tap = StreamTap()
    tap.read()
    url = f"/guilds/{guild['id']}/bans/{user}"
    assert request("PUT", url, user=owner, body={"reason": "spam"}).status == 204
    names = [(e["t"], e["user_id"]) for e in tap.events()]
    assert names == [
        ("GUILD_MEMBER_REMOVE", None),
        ("GUILD_DELETE", str(user)),
        ("GUILD_BAN_ADD", None),
    ]
    assert request("GET", f"/guilds/{guild['id']}", user=user).status == 404
    rejoin = request("POST", f"/invites/{code}", user=user)
    assert rejoin.status == 403
    assert rejoin.body["code"] == "banned"
    fresh = invite(guild)
    assert request("POST", f"/invites/{fresh}", user=user).status == 403
    bans = request("GET", f"/guilds/{guild['id']}/bans", user=owner).body
    assert bans == [{"user": {"id": str(user)}, "reason": "spam"}]
    assert request("GET", f"/invites/{code}", user=user).body["uses"] == 0  # refusals use none
    # unbanned, they may come back
    assert request("DELETE", url, user=owner).status == 204
    assert request("DELETE", url, user=owner).status == 404
    assert request("POST", f"/invites/{code}", user=user).status == 200


def test_banning_a_non_member_keeps_them_out() -> None:
    owner = new_user()
    guild = create_guild(owner)
    stranger = new_user()
    assert request("PUT", f"/guilds/{guild['id']}/bans/{stranger}", user=owner).status == 204
    assert request("POST", f"/invites/{invite(guild)}", user=stranger).status == 403


def test_ban_rules() -> None:
    owner = new_user()
    guild = create_guild(owner)
    banner = member_with(guild, P.BAN_MEMBERS, position=2)
    higher = member_with(guild, 0, position=3)
    plain = new_user()
    join(guild, plain)
    url = f"/guilds/{guild['id']}/bans"
    assert request("PUT", f"{url}/{plain}", user=plain).status == 403  # lacks BAN_MEMBERS
    assert request("PUT", f"{url}/{higher}", user=banner).status == 403  # hierarchy
    assert request("PUT", f"{url}/{owner}", user=banner).status == 403
    assert request("PUT", f"{url}/{banner}", user=banner).status == 403  # themselves
    assert request("GET", url, user=plain).status == 403
    long = {"reason": "r" * (limits.AUDIT_REASON_MAX + 1)}
    assert request("PUT", f"{url}/{plain}", user=banner, body=long).status == 400
    ok = {"reason": "r" * limits.AUDIT_REASON_MAX}
    assert request("PUT", f"{url}/{plain}", user=banner, body=ok).status == 204


def test_invite_lookup_and_join_answer_the_guild() -> None:
    owner = new_user()
    guild = create_guild(owner, "Welcome")
    code = invite(guild, max_age=0, max_uses=5)
    anyone = new_user()
    looked = request("GET", f"/invites/{code}", user=anyone)
    assert looked.status == 200
    assert looked.body["guild"]["name"] == "Welcome"
    assert looked.body["channel"]["id"] == text_channel(guild)
    assert looked.body["expires_at"] is None
    tap = StreamTap()
    tap.read()
    joined = request("POST", f"/invites/{code}", user=anyone)
    assert joined.status == 200
    assert joined.body["id"] == guild["id"]
    assert {c["name"] for c in joined.body["channels"]} == {"general", "General"}
    events = tap.events()
    assert [(e["t"], e["user_id"]) for e in events] == [
        ("GUILD_MEMBER_ADD", None),
        ("GUILD_CREATE", str(anyone)),
    ]
    assert events[0]["d"]["user"]["id"] == str(anyone)
    assert events[0]["guild_id"] == guild["id"]
    # joining again is a no-op that uses nothing
    assert request("POST", f"/invites/{code}", user=anyone).status == 200
    assert request("GET", f"/invites/{code}", user=anyone).body["uses"] == 1
    assert tap.events() == []


def test_joining_while_online_tells_the_guild_the_joiners_status() -> None:
    guild = create_guild(new_user(), "Lively")
    code = invite(guild, max_age=0, max_uses=5)
    online, offline = new_user(), new_user()
    lifecycle.connected("conn-joiner", online)
    presence.connected(online, "conn-joiner")
    tap = StreamTap()
    tap.read()
    assert request("POST", f"/invites/{code}", user=online).status == 200
    records = [r for r in tap.read() if is_outbox_insert(r)]
    assert [outbox_event(r)["t"] for r in records] == [
        "GUILD_MEMBER_ADD",
        "PRESENCE_UPDATE",
        "GUILD_CREATE",
    ]
    update = pending_from_record(records[1])
    assert update is not None
    assert update.event.d == {"user": {"id": str(online)}, "status": "online"}
    # to this guild's sessions only: the user's other guilds heard their status already
    assert update.event.scope == Scope.guilds([int(guild["id"])])
    assert request("POST", f"/invites/{code}", user=offline).status == 200
    assert [e["t"] for e in tap.events()] == ["GUILD_MEMBER_ADD", "GUILD_CREATE"]


@pytest.mark.usefixtures(gateway.__name__)  # identified sessions, as the voice tests have
def test_a_joiner_gets_only_the_channels_they_may_see_who_is_online_and_in_voice() -> None:
    owner = new_user()
    guild = create_guild(owner, "Private corners")
    hidden = {"id": guild["id"], "type": 0, "allow": "0", "deny": str(int(P.VIEW_CHANNEL))}
    body = {"name": "staff", "type": 0, "permission_overwrites": [hidden]}
    made = request("POST", f"/guilds/{guild['id']}/channels", user=owner, body=body)
    assert made.status == 201, made
    node("node-a")
    in_voice = session_for(owner)  # identified: online, as IDENTIFY counts them
    presence.choose(owner, "dnd")
    assert in_voice.op4(guild["id"], voice_channel(guild)) is not None  # in the voice channel
    code = invite(guild, max_age=0, max_uses=5)
    tap = StreamTap()
    tap.read()
    joiner = new_user()
    joined = request("POST", f"/invites/{code}", user=joiner)
    assert joined.status == 200
    (created,) = [e for e in tap.events() if e["t"] == "GUILD_CREATE"]
    for seen in (joined.body, created["d"]):
        assert {c["name"] for c in seen["channels"]} == {"general", "General"}  # not staff
        assert seen["presences"] == [{"user": {"id": str(owner)}, "status": "dnd"}]
        assert [(v["user_id"], v["channel_id"]) for v in seen["voice_states"]] == [
            (str(owner), voice_channel(guild))
        ]
    # the owner (who may see everything) joining again is answered with every channel
    again = request("POST", f"/invites/{code}", user=owner)
    assert {c["name"] for c in again.body["channels"]} == {"general", "General", "staff"}


def test_max_uses_runs_out() -> None:
    guild = create_guild(new_user())
    code = invite(guild, max_uses=2)
    assert request("POST", f"/invites/{code}", user=new_user()).status == 200
    assert request("POST", f"/invites/{code}", user=new_user()).status == 200
    reply = request("POST", f"/invites/{code}", user=new_user())
    assert reply.status == 404
    assert reply.body["code"] == "unknown_invite"
    assert request("GET", f"/invites/{code}", user=new_user()).status == 404


def test_an_expired_invite_is_unknown_even_before_ttl_removes_it() -> None:
    guild = create_guild(new_user())
    code = invite(guild, max_age=60)
    past = datetime.now(UTC) - timedelta(seconds=61)
    set_attributes(
        {"PK": invite_pk(code), "SK": INVITE_SK},
        created_at=past.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
        expires_at=Decimal(int(past.timestamp()) + 60),
    )
    assert request("GET", f"/invites/{code}", user=new_user()).status == 404
    assert request("POST", f"/invites/{code}", user=new_user()).status == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"max_age": limits.INVITE_MAX_AGE_MAX}, 201),
        ({"max_age": limits.INVITE_MAX_AGE_MAX + 1}, 400),
        ({"max_age": -1}, 400),
        ({"max_uses": limits.INVITE_MAX_USES_MAX}, 201),
        ({"max_uses": limits.INVITE_MAX_USES_MAX + 1}, 400),
        ({}, 201),
    ],
)
def test_invite_options_edges(body: dict, status: int) -> None:
    owner = new_user()
    guild = create_guild(owner)
    reply = request("POST", f"/channels/{text_channel(guild)}/invites", user=owner, body=body)
    assert reply.status == status, reply


def test_creating_invites_needs_the_permission_and_bad_codes_are_unknown() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    user = new_user()
    join(guild, user)
    deny = {"type": 0, "deny": str(int(P.CREATE_INSTANT_INVITE))}
    request("PUT", f"/channels/{channel}/permissions/{guild['id']}", user=owner, body=deny)
    assert request("POST", f"/channels/{channel}/invites", user=user, body={}).status == 403
    assert request("POST", f"/channels/{channel}/invites", user=new_user(), body={}).status == 404
    for code in ("nope", "x" * 40, "bad-code!"):
        assert request("GET", f"/invites/{code}", user=user).status == 404
        assert request("POST", f"/invites/{code}", user=user).status == 404


def test_an_invite_to_a_deleted_guild_leads_nowhere() -> None:
    owner = new_user()
    guild = create_guild(owner)
    code = invite(guild, max_age=0)
    assert request("DELETE", f"/guilds/{guild['id']}", user=owner).status == 204
    assert request("GET", f"/invites/{code}", user=new_user()).status == 404
    assert request("POST", f"/invites/{code}", user=new_user()).status == 404
