"""DMs and read state under moto: opening, access, events, acks, unread and mention counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.gateway.store_directory import StoreDirectory
from shared.messages.domain.read_state import ReadState
from shared.messages.storage import read_states
from tests.functional.apigw import request
from tests.functional.dm_race import account, acquaintances
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    give_role,
    join,
    make_role,
    new_user,
    text_channel,
)


def registered() -> int:
    return account()


def fresh_tap() -> StreamTap:
    """A stream reader past everything written so far."""
    tap = StreamTap()
    tap.read()
    return tap


def open_dm(user: int, recipient: Any) -> Any:
    return request("POST", "/users/@me/channels", user=user, body={"recipient_id": recipient})


def send(user: int, channel: str, content: str) -> dict[str, Any]:
    reply = request("POST", f"/channels/{channel}/messages", user=user, body={"content": content})
    assert reply.status == 201, reply
    return dict(reply.body)


def ack(user: int, channel: str, message: str) -> Any:
    return request("POST", f"/channels/{channel}/messages/{message}/ack", user=user)


def ready_state(user: int, guild_ids: list[int] | None = None) -> dict[str, dict[str, Any]]:
    """READY's ``read_state`` for the user, by channel."""
    entries = StoreDirectory().read_state(user, guild_ids or [])
    return {e["channel_id"]: e for e in entries}


@pytest.fixture
def pair(table: str) -> tuple[int, int, str]:
    a, b = acquaintances()
    reply = open_dm(a, str(b))
    assert reply.status == 201, reply
    return a, b, reply.body["id"]


def test_opening_is_idempotent_from_either_side(pair: tuple[int, int, str]) -> None:
    a, b, channel = pair
    again = open_dm(a, str(b))
    assert (again.status, again.body["id"]) == (200, channel)
    other_side = open_dm(b, b_to := str(a))
    assert (other_side.status, other_side.body["id"]) == (200, channel)
    assert other_side.body["type"] == 1
    assert [r["id"] for r in other_side.body["recipients"]] == [b_to]
    for user, other in ((a, b), (b, a)):
        listed = request("GET", "/users/@me/channels", user=user)
        assert listed.status == 200
        assert [(c["id"], c["recipients"][0]["id"]) for c in listed.body] == [(channel, str(other))]


@pytest.mark.parametrize(
    ("recipient", "status", "code"),
    [
        ("self", 400, "invalid_recipient"),
        ("unknown", 404, "unknown_user"),
        ("x1", 400, "invalid_id"),
    ],
)
def test_no_dm_with_oneself_an_unknown_user_or_a_bad_id(
    table: str, recipient: str, status: int, code: str | None
) -> None:
    me = registered()
    target = {"self": str(me), "unknown": str(new_user())}.get(recipient, recipient)
    reply = open_dm(me, target)
    assert reply.status == status, reply
    if code:
        assert reply.body["code"] == code
    assert request("GET", "/users/@me/channels", user=me).body == []


def test_open_writes_one_channel_create_per_participant(table: str) -> None:
    a, b = acquaintances()
    tap = fresh_tap()
    channel = open_dm(a, str(b)).body["id"]
    created = [e for e in tap.events() if e["t"] == "CHANNEL_CREATE"]
    assert sorted(e["user_id"] for e in created) == sorted([str(a), str(b)])
    for event in created:
        assert event["guild_id"] is None
        assert event["d"]["id"] == channel and event["d"]["type"] == 1
        assert event["d"]["recipients"][0]["id"] != event["user_id"]
    open_dm(b, str(a))
    assert [e for e in tap.events() if e["t"] == "CHANNEL_CREATE"] == []


def test_participants_use_every_message_route_and_events_stay_in_the_dm(
    pair: tuple[int, int, str],
) -> None:
    a, b, channel = pair
    tap = fresh_tap()
    message = send(a, channel, f"hi <@{b}>")
    assert "guild_id" not in message
    mid = message["id"]
    assert (
        request(
            "PATCH", f"/channels/{channel}/messages/{mid}", user=a, body={"content": "yo"}
        ).status
        == 200
    )
    assert (
        request(
            "PUT", f"/channels/{channel}/messages/{mid}/reactions/%F0%9F%91%8D/@me", user=b
        ).status
        == 204
    )
    assert request("PUT", f"/channels/{channel}/pins/{mid}", user=b).status == 204  # either pins
    assert request("POST", f"/channels/{channel}/typing", user=b).status == 204
    history = request("GET", f"/channels/{channel}/messages", user=b)
    assert [m["id"] for m in history.body] == [mid]
    # nobody deletes the other's message in a DM (no MANAGE_MESSAGES there)
    assert request("DELETE", f"/channels/{channel}/messages/{mid}", user=b).status == 403
    assert request("DELETE", f"/channels/{channel}/messages/{mid}", user=a).status == 204
    events = tap.events()
    assert [e["t"] for e in events] == [
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_REACTION_ADD",
        "CHANNEL_PINS_UPDATE",
        "TYPING_START",
        "MESSAGE_DELETE",
    ]
    assert {(e["guild_id"], e["user_id"], e["channel_id"]) for e in events} == {
        (None, None, channel)
    }
    assert all("guild_id" not in e["d"] for e in events)


def test_a_third_user_gets_the_same_404_as_for_a_channel_that_does_not_exist(
    pair: tuple[int, int, str],
) -> None:
    a, _, channel = pair
    mid = send(a, channel, "private")["id"]
    outsider = registered()
    for method, path, body in [
        ("GET", f"/channels/{channel}/messages", None),
        ("POST", f"/channels/{channel}/messages", {"content": "let me in"}),
        ("PATCH", f"/channels/{channel}/messages/{mid}", {"content": "x"}),
        ("DELETE", f"/channels/{channel}/messages/{mid}", None),
        ("PUT", f"/channels/{channel}/messages/{mid}/reactions/%F0%9F%91%8D/@me", None),
        ("PUT", f"/channels/{channel}/pins/{mid}", None),
        ("POST", f"/channels/{channel}/typing", None),
        ("POST", f"/channels/{channel}/messages/{mid}/ack", None),
    ]:
        reply = request(method, path, user=outsider, body=body)
        missing = request(method, path.replace(channel, str(new_user())), user=outsider, body=body)
        assert (reply.status, reply.body["code"]) == (404, "unknown_channel"), (method, path)
        assert (missing.status, missing.body["code"]) == (404, "unknown_channel")


def test_everyone_in_a_dm_is_plain_text(pair: tuple[int, int, str]) -> None:
    a, b, channel = pair
    assert send(a, channel, "@everyone look")["mention_everyone"] is False
    assert ready_state(b)[channel]["mention_count"] == 0


def test_ack_only_moves_forward_and_clears_the_mentions_it_reads(
    pair: tuple[int, int, str],
) -> None:
    a, b, channel = pair
    first = send(a, channel, f"<@{b}> one")["id"]
    second = send(a, channel, "two")["id"]
    third = send(a, channel, f"<@{b}> three")["id"]
    state = ready_state(b)[channel]
    assert (state["last_message_id"], state["mention_count"]) == (None, 2)
    assert ready_state(a)[channel]["mention_count"] == 0  # one's own mentions of others

    reply = ack(b, channel, second)
    assert reply.status == 200, reply
    assert reply.body == {
        "id": channel,
        "channel_id": channel,
        "last_message_id": second,
        "mention_count": 1,  # the third is after the marker
    }
    older = ack(b, channel, first)
    assert (older.status, older.body["last_message_id"]) == (200, second)  # never backwards
    assert ack(b, channel, second).body["last_message_id"] == second  # the same: no change
    assert ack(b, channel, third).body["mention_count"] == 0
    assert ready_state(b)[channel] == {
        "id": channel,
        "channel_id": channel,
        "last_message_id": third,
        "mention_count": 0,
    }
    fourth = send(a, channel, f"<@{b}> four")["id"]
    assert ready_state(b)[channel]["mention_count"] == 1
    stored = read_states.get(b, int(channel))
    assert stored == ReadState(int(channel), int(third), frozenset({int(fourth)}))


def test_ack_of_a_message_that_is_not_there_is_a_404(pair: tuple[int, int, str]) -> None:
    a, _, channel = pair
    reply = ack(a, channel, str(new_user()))
    assert (reply.status, reply.body["code"]) == (404, "unknown_message")
    assert ack(a, channel, "nope").status == 400


def test_ack_tells_the_users_sessions_only_when_the_marker_moves(
    pair: tuple[int, int, str],
) -> None:
    a, b, channel = pair
    first, second = (send(a, channel, text)["id"] for text in ("1", "2"))
    tap = fresh_tap()
    ack(b, channel, second)
    ack(b, channel, first)
    acks = [e for e in tap.events() if e["t"] == "MESSAGE_ACK"]
    assert [(e["user_id"], e["d"]) for e in acks] == [
        (str(b), {"channel_id": channel, "message_id": second})
    ]


def test_last_message_id_only_moves_forward(pair: tuple[int, int, str]) -> None:
    a, b, channel = pair
    ids = [send(who, channel, "m")["id"] for who in (a, b, a)]
    listed = request("GET", "/users/@me/channels", user=b).body
    assert listed[0]["last_message_id"] == ids[-1]
    tx_marks = read_states.marks([int(channel)])[int(channel)]
    assert tx_marks.last_message_id == int(ids[-1])


def test_guild_counts_user_role_and_everyone_mentions_since_the_marker(table: str) -> None:
    owner, member, bystander = new_user(), new_user(), new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    gid = int(guild["id"])
    for user in (member, bystander):
        join(guild, user)
    role = make_role(guild, 0, name="pinged")
    give_role(guild, member, role)

    assert ready_state(member, [gid])[channel] == {
        "id": channel,
        "channel_id": channel,
        "last_message_id": None,
        "mention_count": 0,
    }
    first = send(owner, channel, "hello")["id"]
    assert ack(member, channel, first).body["mention_count"] == 0
    stranger, no_role = new_user(), new_user()
    send(owner, channel, f"<@{member}> <@{stranger}> <@&{no_role}>")  # only the member counts
    assert read_states.get(stranger, int(channel)).mention_ids == frozenset()
    assert read_states.marks([int(channel)], [no_role])[int(channel)].last_role_mention == {}
    send(owner, channel, f"<@&{role}>")
    send(owner, channel, f"<@&{role}> again")  # broad mentions count once (see decisions.md)
    last = send(owner, channel, "@everyone")["id"]
    assert ready_state(member, [gid])[channel]["mention_count"] == 3  # user + role + everyone
    assert ready_state(bystander, [gid])[channel]["mention_count"] == 1  # @everyone only
    # a member without MENTION_EVERYONE: plain text, counts for nobody
    send(bystander, channel, "@everyone hey")
    assert ack(member, channel, last).body["mention_count"] == 0

    snapshot = StoreDirectory().guild_snapshot(gid, member)
    by_id = {c["id"]: c for c in snapshot["channels"]}
    assert by_id[channel]["last_message_id"] is not None
    assert int(by_id[channel]["last_message_id"]) > int(last)
    voice = next(c for c in guild["channels"] if c["type"] == 2)["id"]
    assert by_id[voice]["last_message_id"] is None
    assert voice not in ready_state(member, [gid])  # text channels only


def test_read_state_leaves_out_channels_the_user_cannot_view(table: str) -> None:
    owner, member = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, member)
    hidden = request(
        "POST", f"/guilds/{guild['id']}/channels", user=owner, body={"name": "staff", "type": 0}
    ).body["id"]
    everyone_deny = {"type": 0, "allow": "0", "deny": str(1 << 10)}
    reply = request(
        "PUT", f"/channels/{hidden}/permissions/{guild['id']}", user=owner, body=everyone_deny
    )
    assert reply.status == 204, reply
    visible = ready_state(member, [int(guild["id"])])
    assert text_channel(guild) in visible and hidden not in visible
    assert hidden in ready_state(owner, [int(guild["id"])])


# ---------------------------------------------------------------- who may open a DM


def test_a_stranger_who_shares_no_guild_is_refused(table: str) -> None:
    stranger, target = registered(), registered()
    create_guild(stranger)
    create_guild(target)
    reply = open_dm(stranger, str(target))
    assert reply.status == 403, reply
    assert reply.body["code"] == "cannot_message_user"
    assert reply.body["message"] == "Cannot send messages to this user."
    assert request("GET", "/users/@me/channels", user=target).body == []


def test_a_shared_guild_lets_either_open_the_dm(table: str) -> None:
    a, b = registered(), registered()
    join(create_guild(a), b)
    assert open_dm(b, str(a)).status == 201


def test_the_recipient_s_setting_refuses_guild_members_then_lets_them_in_again(
    table: str,
) -> None:
    a, b = acquaintances()
    assert request("GET", "/users/@me", user=b).body["allow_dms_from_guild_members"] is True
    off = {"allow_dms_from_guild_members": False}
    changed = request("PATCH", "/users/@me", user=b, body=off)
    assert (changed.status, changed.body["allow_dms_from_guild_members"]) == (200, False)
    assert request("GET", "/users/@me", user=b).body["allow_dms_from_guild_members"] is False
    refused = open_dm(a, str(b))
    assert (refused.status, refused.body["code"]) == (403, "cannot_message_user")
    on = {"allow_dms_from_guild_members": True}
    assert request("PATCH", "/users/@me", user=b, body=on).status == 200
    assert open_dm(a, str(b)).status == 201


def test_the_setting_takes_a_boolean_only(table: str) -> None:
    user = registered()
    reply = request("PATCH", "/users/@me", user=user, body={"allow_dms_from_guild_members": "no"})
    assert (reply.status, reply.body["code"]) == (400, "invalid")
    assert "body.allow_dms_from_guild_members" in reply.body["errors"]


def test_an_open_dm_stays_open_when_the_rule_changes(pair: tuple[int, int, str]) -> None:
    a, b, channel = pair
    off = {"allow_dms_from_guild_members": False}
    assert request("PATCH", "/users/@me", user=b, body=off).status == 200
    again = open_dm(a, str(b))
    assert (again.status, again.body["id"]) == (200, channel)
    send(a, channel, "still here")


def test_dm_opens_are_budgeted_per_user(table: str, slow_refill: Callable[[str], int]) -> None:
    """The n-th open passes, the n+1-th is a 429 with the headers; another user may still open."""
    opener = registered()
    guild = create_guild(opener)
    capacity = slow_refill("dms.open")
    others = [registered() for _ in range(capacity + 1)]
    for other in others:
        join(guild, other)
    for n, other in enumerate(others[:capacity]):
        assert open_dm(opener, str(other)).status == 201, n
    refused = open_dm(opener, str(others[-1]))
    assert refused.status == 429, refused
    assert refused.headers["x-ratelimit-bucket"] == "user.dms.open"
    assert refused.headers["x-ratelimit-limit"] == str(capacity)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["retry-after"]) >= 1
    assert open_dm(others[-1], str(opener)).status == 201
