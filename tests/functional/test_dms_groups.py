"""Group DMs (type 3) under moto: creating one, its limits, renaming, adding, removing and
leaving, who may do each, and whom each event reaches."""

from __future__ import annotations

from typing import Any

import pytest

from shared.gateway import lifecycle
from shared.gateway.domain.log_events import Scope
from shared.gateway.storage import sessions
from shared.outbox.domain.events import EventName, GatewayEvent
from tests.fake_directory import FakeDirectory
from tests.functional.apigw import request
from tests.functional.dm_race import account, circle
from tests.functional.guildkit import StreamTap, create_guild, new_user
from tests.functional.test_gateway_joins import plans, resumed_from_start
from tests.functional.test_gateway_sessions import (
    OTHER,
    USER,
    directory,
    emit_and_sequence,
    identify,
)

__all__ = ["directory"]  # the fixture, shared with test_gateway_sessions


def fresh_tap() -> StreamTap:
    tap = StreamTap()
    tap.read()
    return tap


def create(owner: int, recipients: list[int], name: str | None = None) -> Any:
    body: dict[str, Any] = {"recipients": [str(u) for u in recipients]}
    if name is not None:
        body["name"] = name
    return request("POST", "/users/@me/channels", user=owner, body=body)


def add(user: int, channel: str, target: int) -> Any:
    return request("PUT", f"/channels/{channel}/recipients/{target}", user=user)


def remove(user: int, channel: str, target: int) -> Any:
    return request("DELETE", f"/channels/{channel}/recipients/{target}", user=user)


def send(user: int, channel: str, content: str) -> Any:
    return request("POST", f"/channels/{channel}/messages", user=user, body={"content": content})


def others(user: int, channel: str) -> list[str]:
    reply = request("GET", f"/channels/{channel}", user=user)
    assert reply.status == 200, reply
    return sorted(r["id"] for r in reply.body["recipients"])


def listed(user: int) -> list[str]:
    return [c["id"] for c in request("GET", "/users/@me/channels", user=user).body]


def ids(*users: int) -> list[str]:
    return sorted(str(u) for u in users)


@pytest.fixture
def trio(table: str) -> tuple[int, int, int, str]:
    """Three users who share a guild, in a group DM the first created and owns."""
    a, b, c = circle(3)
    reply = create(a, [b, c], "plans")
    assert reply.status == 201, reply
    return a, b, c, reply.body["id"]


def test_a_group_is_created_owned_named_and_listed_by_everyone_in_it(table: str) -> None:
    a, b, c = circle(3)
    tap = fresh_tap()
    reply = create(a, [b, c], "  weekend plans ")
    assert reply.status == 201, reply
    group = reply.body
    assert (group["type"], group["owner_id"], group["name"]) == (3, str(a), "weekend plans")
    assert sorted(r["id"] for r in group["recipients"]) == ids(b, c)
    assert group["last_message_id"] is None
    for user in (a, b, c):
        assert listed(user) == [group["id"]]
        entry = request("GET", "/users/@me/channels", user=user).body[0]
        assert sorted(r["id"] for r in entry["recipients"]) == sorted(
            set(ids(a, b, c)) - {str(user)}
        )
    created = [e for e in tap.events() if e["t"] == "CHANNEL_CREATE"]
    assert sorted(e["user_id"] for e in created) == ids(a, b, c)
    assert all(e["d"]["id"] == group["id"] and e["d"]["type"] == 3 for e in created)


def test_a_group_of_ten_is_the_most(table: str) -> None:
    owner, *rest = circle(11)
    refused = create(owner, rest)  # eleven participants
    assert (refused.status, refused.body["code"]) == (400, "invalid"), refused
    assert "body.recipients" in refused.body["errors"]
    assert listed(owner) == []
    reply = create(owner, rest[:9])  # ten
    assert reply.status == 201, reply
    assert len(reply.body["recipients"]) == 9


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("self", 400, "invalid_recipient"),
        ("twice", 400, "invalid_recipient"),
        ("none", 400, "invalid"),
        ("unknown", 404, "unknown_user"),
        ("stranger", 403, "cannot_message_user"),
        ("both kinds", 400, "invalid"),
        ("dm with a name", 400, "invalid"),
        ("name of 101", 400, "invalid"),
    ],
)
def test_bad_groups_are_refused_and_create_nothing(
    table: str, case: str, status: int, code: str
) -> None:
    a, b = circle(2)
    stranger = account()
    create_guild(stranger)
    bodies: dict[str, dict[str, Any]] = {
        "self": {"recipients": [str(b), str(a)]},
        "twice": {"recipients": [str(b), str(b)]},
        "none": {"recipients": []},
        "unknown": {"recipients": [str(b), str(new_user())]},
        "stranger": {"recipients": [str(b), str(stranger)]},
        "both kinds": {"recipients": [str(b)], "recipient_id": str(b)},
        "dm with a name": {"recipient_id": str(b), "name": "x"},
        "name of 101": {"recipients": [str(b)], "name": "n" * 101},
    }
    reply = request("POST", "/users/@me/channels", user=a, body=bodies[case])
    assert (reply.status, reply.body["code"]) == (status, code), reply
    assert listed(a) == [] and listed(b) == []


def test_a_name_of_100_is_kept_whole(table: str) -> None:
    a, b = circle(2)
    assert create(a, [b], "n" * 100).body["name"] == "n" * 100


def test_any_participant_renames_and_everyone_hears_it(trio: tuple[int, int, int, str]) -> None:
    a, b, c, channel = trio
    tap = fresh_tap()
    reply = request("PATCH", f"/channels/{channel}", user=b, body={"name": "renamed"})
    assert reply.status == 200, reply
    assert (reply.body["name"], reply.body["type"], reply.body["owner_id"]) == (
        "renamed",
        3,
        str(a),
    )
    updates = [e for e in tap.events() if e["t"] == "CHANNEL_UPDATE"]
    assert sorted(e["user_id"] for e in updates) == ids(a, b, c)
    assert {e["d"]["name"] for e in updates} == {"renamed"}
    assert request("GET", f"/channels/{channel}", user=c).body["name"] == "renamed"
    too_long = request("PATCH", f"/channels/{channel}", user=b, body={"name": "n" * 101})
    assert too_long.status == 400, too_long
    outsider = circle(1)[0]
    stranger = request("PATCH", f"/channels/{channel}", user=outsider, body={"name": "mine"})
    assert (stranger.status, stranger.body["code"]) == (404, "unknown_channel")


def test_any_participant_adds_up_to_ten_and_the_eleventh_is_refused(table: str) -> None:
    owner, *rest = circle(11)
    channel = create(owner, rest[:2]).body["id"]
    tap = fresh_tap()
    adder = rest[0]  # not the owner
    for target in rest[2:9]:
        assert add(adder, channel, target).status == 204
    assert len(others(owner, channel)) == 9  # ten participants
    refused = add(adder, channel, rest[9])
    assert (refused.status, refused.body["code"]) == (400, "max_recipients"), refused
    assert str(rest[9]) not in others(owner, channel)
    assert listed(rest[9]) == []
    assert add(adder, channel, rest[3]).status == 204  # already in: nothing changes
    events = tap.events()
    created = [e for e in events if e["t"] == "CHANNEL_CREATE"]
    assert [e["user_id"] for e in created] == [str(u) for u in rest[2:9]]
    added = [e for e in events if e["t"] == "CHANNEL_RECIPIENT_ADD"]
    assert [e["d"]["user"]["id"] for e in added] == [str(u) for u in rest[2:9]]
    assert {(e["user_id"], e["channel_id"], e["d"]["channel_id"]) for e in added} == {
        (None, None, channel)
    }


def test_only_someone_the_adder_may_dm_is_added_and_only_by_a_participant(
    trio: tuple[int, int, int, str],
) -> None:
    a, b, _, channel = trio
    stranger = account()
    create_guild(stranger)
    refused = add(b, channel, stranger)
    assert (refused.status, refused.body["code"]) == (403, "cannot_message_user")
    outsider = circle(1)[0]
    assert add(outsider, channel, outsider).status == 404
    assert add(a, channel, new_user()).status == 404


def test_only_the_owner_removes_and_the_removed_can_no_longer_read_or_post(
    trio: tuple[int, int, int, str],
) -> None:
    a, b, c, channel = trio
    assert send(c, channel, "before").status == 201
    refused = remove(b, channel, c)
    assert (refused.status, refused.body["code"]) == (403, "owner_only")
    tap = fresh_tap()
    assert remove(a, channel, c).status == 204
    events = tap.events()
    assert [(e["t"], e["user_id"]) for e in events if e["t"] == "CHANNEL_DELETE"] == [
        ("CHANNEL_DELETE", str(c))
    ]
    removed = [e for e in events if e["t"] == "CHANNEL_RECIPIENT_REMOVE"]
    assert [(e["user_id"], e["d"]["user"]["id"]) for e in removed] == [(None, str(c))]
    assert listed(c) == []
    assert others(a, channel) == ids(b)
    for method, path in (("GET", f"/channels/{channel}/messages"), ("GET", f"/channels/{channel}")):
        assert request(method, path, user=c).status == 404
    assert send(c, channel, "after").status == 404
    assert remove(a, channel, c).status == 404  # not in it any more
    tap.read()
    assert send(b, channel, "still here").status == 201
    assert [e["t"] for e in tap.events()] == ["MESSAGE_CREATE"]


def test_leaving_passes_ownership_and_the_last_one_out_leaves_nobody(
    trio: tuple[int, int, int, str],
) -> None:
    a, b, c, channel = trio
    tap = fresh_tap()
    left = request("DELETE", f"/channels/{channel}", user=a)
    assert (left.status, left.body["id"]) == (200, channel), left
    events = tap.events()
    assert [e["user_id"] for e in events if e["t"] == "CHANNEL_DELETE"] == [str(a)]
    updates = [e for e in events if e["t"] == "CHANNEL_UPDATE"]
    assert sorted(e["user_id"] for e in updates) == ids(b, c)
    new_owner = request("GET", f"/channels/{channel}", user=b).body["owner_id"]
    assert new_owner in ids(b, c)
    assert listed(a) == []
    assert request("GET", f"/channels/{channel}", user=a).status == 404
    # the owner removing themselves leaves too
    owner, other = (b, c) if new_owner == str(b) else (c, b)
    assert remove(owner, channel, owner).status == 204
    assert request("GET", f"/channels/{channel}", user=other).body["owner_id"] == str(other)
    assert request("DELETE", f"/channels/{channel}", user=other).status == 200
    for user in (a, b, c):
        assert listed(user) == []
        assert request("GET", f"/channels/{channel}/messages", user=user).status == 404


def test_a_group_s_messages_stay_in_it(trio: tuple[int, int, int, str]) -> None:
    a, b, c, channel = trio
    tap = fresh_tap()
    message = send(b, channel, f"hi <@{c}>")
    assert message.status == 201, message
    events = tap.events()
    assert [(e["t"], e["guild_id"], e["user_id"]) for e in events] == [
        ("MESSAGE_CREATE", None, None)
    ]
    assert (
        request("GET", "/users/@me/channels", user=a).body[0]["last_message_id"]
        == (message.body["id"])
    )


def test_a_dm_stays_a_dm_for_the_channel_routes(table: str) -> None:
    a, b = circle(2)
    dm = request("POST", "/users/@me/channels", user=a, body={"recipient_id": str(b)}).body
    assert request("PATCH", f"/channels/{dm['id']}", user=a, body={"name": "x"}).status == 404
    assert add(a, dm["id"], circle(1)[0]).status == 404
    assert request("GET", "/users/@me/channels", user=a).body[0]["type"] == 1


# ---------------------------------------------------------------- live sessions follow the group

GROUP = 777


def group_event(name: EventName, user: int) -> GatewayEvent:
    """What joining (CHANNEL_CREATE) or leaving (CHANNEL_DELETE) a group tells its user."""
    data = {"id": str(GROUP), "type": 3, "recipients": [{"id": str(OTHER)}]}
    return GatewayEvent(name, None, data, user_id=user, dm_channel_id=GROUP)


def group_message(n: int) -> GatewayEvent:
    data = {"n": n, "channel_id": str(GROUP)}
    return GatewayEvent(EventName.MESSAGE_CREATE, None, data, channel_id=GROUP, dm_channel_id=GROUP)


def test_a_live_session_hears_a_group_from_joining_it_until_leaving_it(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a", USER)
    entries = emit_and_sequence(
        group_message(0),
        group_event(EventName.CHANNEL_CREATE, USER),
        group_message(1),
        group_event(EventName.CHANNEL_DELETE, USER),
        group_message(2),
    )
    assert plans(entries) == {
        "conn-a": [("CHANNEL_CREATE", 2), ("MESSAGE_CREATE", 3), ("CHANNEL_DELETE", 4)]
    }
    session = sessions.get_session(USER, session_id)
    assert session is not None and Scope.dm(GROUP) not in session.scopes
    assert plans(emit_and_sequence(group_message(3))) == {}


def test_a_resume_leaves_the_group_it_replays_a_leave_of(directory: FakeDirectory) -> None:
    session_id = identify("conn-a", USER)
    emit_and_sequence(group_event(EventName.CHANNEL_CREATE, USER), group_message(0))
    lifecycle.disconnected("conn-a")
    emit_and_sequence(group_event(EventName.CHANNEL_DELETE, USER), group_message(1))
    assert resumed_from_start("conn-c", session_id) == [
        ("CHANNEL_CREATE", 1),
        ("MESSAGE_CREATE", 2),
        ("CHANNEL_DELETE", 3),
        ("RESUMED", 4),
    ]
    assert plans(emit_and_sequence(group_message(2))) == {}
