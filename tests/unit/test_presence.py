"""Presence rules: the status others see, aggregated over a user's connections, and the one
user-level PRESENCE_UPDATE that reaches each session of the user's guilds once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import Invalid
from shared.gateway.domain.log_events import LogEvent, Scope
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.presence.domain.presence import (
    GUILD_PRESENCES,
    OFFLINE,
    Presence,
    Status,
    parse_status,
    presence_event,
    wants_presences,
)
from shared.table.transaction import Transaction


def test_a_user_with_no_connection_is_offline_whatever_they_chose() -> None:
    assert Presence().visible == OFFLINE
    assert Presence(Status.DND).visible == OFFLINE


def test_online_as_soon_as_one_connection_carries_a_session() -> None:
    assert Presence().connect("a").visible == "online"


def test_the_last_connection_going_makes_the_user_offline_and_not_before() -> None:
    two = Presence().connect("a").connect("b")
    assert two.disconnect("a").visible == "online"
    assert two.disconnect("a").disconnect("b").visible == OFFLINE


def test_closing_the_same_connection_twice_counts_once() -> None:
    """$disconnect and the sweeper may both report one connection: a set, not a counter."""
    two = Presence().connect("a").connect("b")
    assert two.disconnect("a").disconnect("a").visible == "online"


def test_the_chosen_status_is_remembered_across_sessions() -> None:
    idle = Presence().connect("a").choose(Status.IDLE)
    gone = idle.disconnect("a")
    assert gone.visible == OFFLINE
    assert gone.connect("b").visible == "idle"


def test_identify_may_choose_a_status_with_its_connection() -> None:
    assert Presence().connect("a", Status.DND).visible == "dnd"


def test_invisible_looks_offline_to_everyone_else() -> None:
    invisible = Presence().connect("a").choose(Status.INVISIBLE)
    assert invisible.visible == OFFLINE
    assert invisible.choose(Status.ONLINE).visible == "online"


@pytest.mark.parametrize("status", ["online", "idle", "dnd", "invisible"])
def test_each_status_a_user_may_choose(status: str) -> None:
    assert parse_status({"status": status}) is Status(status)


@pytest.mark.parametrize(
    ("d", "code"),
    [
        (None, "invalid_payload"),
        ("idle", "invalid_payload"),
        ({}, "invalid_payload"),
        ({"status": 1}, "invalid_payload"),
        ({"status": "offline"}, "invalid_status"),  # offline is what others see, not a choice
        ({"status": "IDLE"}, "invalid_status"),
        ({"status": "away"}, "invalid_status"),
    ],
)
def test_a_bad_presence_is_refused_with_its_code(d: object, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_status(d)
    assert caught.value.code == code


def test_a_presence_event_names_the_user_and_status_and_goes_to_their_guilds() -> None:
    event = presence_event(5, "idle", [9, 3, 9])
    assert event is not None
    assert event.name is EventName.PRESENCE_UPDATE
    assert event.data == {"user": {"id": "5"}, "status": "idle"}
    assert event.guild_ids == (3, 9)


def test_a_user_in_no_guild_announces_nothing() -> None:
    assert presence_event(5, "online", []) is None


def test_a_guilds_scope_stands_for_each_guild() -> None:
    scope = Scope.guilds([20, 10])
    assert Scope.expand(scope) == ["guild:10", "guild:20"]
    assert Scope.expand("guild:10") == ["guild:10"]
    assert Scope.guild_of(scope) is None


def test_a_session_hears_a_presence_once_with_a_guild_it_shares() -> None:
    event = LogEvent("PRESENCE_UPDATE", {"user": {"id": "5"}}, Scope.guilds([10, 20]))
    heard = event.for_session({"guild:20", "guild:10", "user:6"})
    assert heard is not None
    assert heard.d == {"user": {"id": "5"}, "guild_id": "10"}
    only_second = event.for_session({"guild:20"})
    assert only_second is not None and only_second.d["guild_id"] == "20"
    assert event.for_session({"guild:30", "user:5"}) is None


def test_a_single_scope_event_is_heard_unchanged() -> None:
    event = LogEvent("MESSAGE_CREATE", {"id": "1"}, Scope.guild(10), channel_id=2)
    assert event.for_session({"guild:10"}) is event
    assert event.as_heard_in("guild:10") is event
    assert event.for_session({"guild:11"}) is None


def test_a_presence_event_survives_the_outbox_and_keeps_its_guilds() -> None:
    tx = Transaction()
    event = presence_event(5, "dnd", [10, 20])
    assert event is not None
    outbox.emit(tx, event, datetime(2026, 11, 24, tzinfo=UTC))
    (op,) = tx._ops
    captured: dict = {}

    class Capture:
        def save(self, item: outbox.EventRecord, condition: object = None) -> None:
            captured.update(item.serialize())

    op.apply(Capture())
    assert captured["PK"]["S"] == "USEREVENTS#5"
    pending = outbox.pending_from_record(
        {"eventName": "INSERT", "dynamodb": {"NewImage": captured}}
    )
    assert pending is not None
    assert pending.event.t == "PRESENCE_UPDATE"
    assert pending.event.scopes() == ["guild:10", "guild:20"]
    assert pending.event.d == {"user": {"id": "5"}, "status": "dnd"}


def test_a_user_event_without_guilds_still_goes_to_the_user_only() -> None:
    tx = Transaction()
    outbox.emit(
        tx, GatewayEvent(EventName.USER_UPDATE, None, {"id": "5"}, user_id=5), datetime.now(UTC)
    )
    (op,) = tx._ops
    captured: dict = {}

    class Capture:
        def save(self, item: outbox.EventRecord, condition: object = None) -> None:
            captured.update(item.serialize())

    op.apply(Capture())
    assert "guild_ids" not in captured
    pending = outbox.pending_from_record(
        {"eventName": "INSERT", "dynamodb": {"NewImage": captured}}
    )
    assert pending is not None and pending.event.scope == "user:5"


def test_a_large_guilds_presences_are_chunked_under_the_frame_limit() -> None:
    from shared.gateway.domain.protocol import Frame, Op, encode, parts_of

    ids = [str(10**17 + n) for n in range(3_000)]
    guild = {
        "id": "7",
        "name": "big",
        "members": [{"user": {"id": i}, "nick": "n" * 32, "roles": []} for i in ids],
        "presences": [{"user": {"id": i}, "status": "online"} for i in ids],
    }
    parts = parts_of(guild)
    assert len(parts) > 1
    frames = [encode(Frame(Op.DISPATCH, part, 1, "GUILD_CREATE")) for part in parts]
    assert all(len(f) <= 128 * 1024 for f in frames)  # API Gateway's limit on a post
    assert [p["user"]["id"] for part in parts for p in part["presences"]] == ids


def test_only_a_guild_create_goes_out_in_parts() -> None:
    from shared.gateway.domain.protocol import dispatch_parts

    small = {"id": "7", "presences": []}
    assert dispatch_parts("GUILD_CREATE", small) == [small]
    big = {"id": "7", "presences": [{"user": {"id": str(n)}, "status": "dnd"} for n in range(5000)]}
    assert len(dispatch_parts("GUILD_CREATE", big)) > 1
    assert dispatch_parts("MESSAGE_CREATE", big) == [big]  # never split: not a guild snapshot


@pytest.mark.parametrize(
    ("intents", "wanted"),
    [(None, True), (GUILD_PRESENCES, True), (GUILD_PRESENCES | 1, True), (0, False), (1, False)],
)
def test_presences_go_to_sessions_that_did_not_leave_them_out(
    intents: int | None, wanted: bool
) -> None:
    assert wants_presences(intents) is wanted


@pytest.mark.parametrize("intents", [True, -1, "256", 2.5])
def test_intents_are_a_bit_set(intents: object) -> None:
    with pytest.raises(Invalid) as caught:
        wants_presences(intents)
    assert caught.value.code == "invalid_payload"
