"""Presence under moto: op 3 and IDENTIFY's presence, connections closing (at once, too), the
sweeper, invisible, the rate limit's edge, and a presence's delivery to each session once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from shared.auth.keysource import load_keyring
from shared.config import get_settings
from shared.gateway import commands, fanout, lifecycle
from shared.gateway.directory import set_directory
from shared.gateway.domain.session import PAUSED
from shared.gateway.storage import gateway_log, sessions
from shared.guilds.storage import members
from shared.limits.storage import buckets as ratelimits
from shared.outbox.storage.outbox import EventRecord, pending_from_record
from shared.presence import presence
from shared.presence.domain.presence import GUILD_PRESENCES
from shared.presence.storage import presence as presence_store
from shared.table.keys import user_events_pk
from tests.fake_directory import FakeDirectory
from tests.functional.conftest import frames_posted
from tests.functional.test_gateway_sessions import (
    CHANNEL,
    GUILD,
    OTHER,
    OWNER,
    USER,
    identify,
    send,
)

LONER = 44  # shares no guild with anyone
OTHER_GUILD = 8


@pytest.fixture
def directory(table: str, monkeypatch: pytest.MonkeyPatch) -> FakeDirectory:
    """The directory port with the memberships of ``guilds`` below, with local keys."""
    monkeypatch.setattr(commands, "issuer_keys", lambda: load_keyring(get_settings()))
    fake = FakeDirectory()
    for user in (USER, OTHER, LONER):
        fake.add_user(user)
    fake.add_guild(GUILD, OWNER, channels=[CHANNEL], members={USER, OTHER})
    fake.add_guild(OTHER_GUILD, OWNER, members={USER})
    set_directory(fake)
    return fake


@pytest.fixture(autouse=True)
def guilds(monkeypatch: pytest.MonkeyPatch) -> None:
    """USER is in GUILD and OTHER_GUILD, OTHER in GUILD, LONER in none (the membership index)."""
    of = {USER: [GUILD, OTHER_GUILD], OTHER: [GUILD], LONER: []}

    def guild_ids_of(user_id: int, *, after: int, before: int | None, limit: int) -> list[int]:
        return of.get(user_id, [])[:limit]

    monkeypatch.setattr(members, "guild_ids_of", guild_ids_of)


class Clock:
    """The rate limiter's clock, moved by the test only."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimits, "time", fake)
    return fake


def announced(user_id: int = USER) -> list[tuple[str, tuple[int, ...]]]:
    """The PRESENCE_UPDATEs emitted for a user, oldest first: (status, guilds)."""
    records = EventRecord.query(user_events_pk(user_id), consistent_read=True)
    return [
        (json.loads(r.data)["status"], tuple(sorted(int(g) for g in r.guild_ids or ())))
        for r in records
        if r.event == "PRESENCE_UPDATE"
    ]


def statuses() -> list[str]:
    return [status for status, _ in announced()]


def visible(user_id: int = USER) -> str:
    return presence_store.read(user_id)[0].visible


def op3(connection_id: str, status: Any, user_id: int = USER) -> dict[str, Any] | None:
    """Send op 3; the error frame it got, if any."""
    before = len(frames_posted(connection_id))
    send(connection_id, {"op": 3, "d": {"status": status}}, user_id)
    after = frames_posted(connection_id)[before:]
    errors = [f for f in after if f["op"] == 12]
    return errors[0] if errors else None


def test_identify_makes_the_user_online_and_tells_their_guilds(directory: FakeDirectory) -> None:
    identify("conn-a")
    assert visible() == "online"
    assert announced() == [("online", (GUILD, OTHER_GUILD))]


def test_status_changes_invisible_and_back(directory: FakeDirectory) -> None:
    identify("conn-a")
    for status in ("idle", "dnd", "invisible", "online"):
        assert op3("conn-a", status) is None
    assert statuses() == ["online", "idle", "dnd", "offline", "online"]


def test_the_same_status_twice_announces_nothing(directory: FakeDirectory) -> None:
    identify("conn-a")
    assert op3("conn-a", "idle") is None
    assert op3("conn-a", "idle") is None
    assert statuses() == ["online", "idle"]


def test_invisible_changes_nothing_others_see_until_it_ends(directory: FakeDirectory) -> None:
    identify("conn-a")
    assert op3("conn-a", "invisible") is None
    lifecycle.disconnected("conn-a")  # invisible -> gone: still "offline" to others
    assert statuses() == ["online", "offline"]
    identify("conn-b")  # the chosen status is remembered: still invisible
    assert visible() == "offline"
    assert statuses() == ["online", "offline"]


def test_identify_may_carry_a_status(directory: FakeDirectory) -> None:
    lifecycle.connected("conn-a", USER)
    send("conn-a", {"op": 2, "d": {"token": _token(), "presence": {"status": "dnd"}}})
    assert statuses() == ["dnd"]


def test_identify_with_a_bad_presence_is_refused_before_any_session(
    directory: FakeDirectory,
) -> None:
    lifecycle.connected("conn-a", USER)
    send("conn-a", {"op": 2, "d": {"token": _token(), "presence": {"status": "away"}}})
    (error,) = frames_posted("conn-a")
    assert error["op"] == 12
    assert error["d"]["code"] == "invalid_status"
    assert error["d"]["status"] == 400
    assert sessions.user_sessions(USER) == []
    assert visible() == "offline"


@pytest.mark.parametrize(
    ("d", "code"),
    [({"status": "away"}, "invalid_status"), ({"status": None}, "invalid_payload"), ("idle", None)],
)
def test_a_bad_op3_gets_the_error_frame_and_changes_nothing(
    directory: FakeDirectory, d: Any, code: str | None
) -> None:
    identify("conn-a")
    send("conn-a", {"op": 3, "d": d})
    error = frames_posted("conn-a")[-1]
    assert error["op"] == 12
    assert error["d"]["code"] == (code or "invalid_payload")
    assert statuses() == ["online"]


def test_op3_before_identify_is_refused(directory: FakeDirectory) -> None:
    lifecycle.connected("conn-a", USER)
    error = op3("conn-a", "idle")
    assert error is not None
    assert error["d"]["code"] == "not_identified"
    assert announced() == []


def test_closing_one_of_two_connections_keeps_the_user_online(directory: FakeDirectory) -> None:
    identify("conn-a")
    identify("conn-b")
    lifecycle.disconnected("conn-a")
    assert visible() == "online"
    assert statuses() == ["online"]
    lifecycle.disconnected("conn-b")
    assert visible() == "offline"
    assert statuses() == ["online", "offline"]


def test_two_connections_closing_at_once_leave_the_user_offline(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conn-b closes completely between conn-a's close reading the item and writing it back.

    Without the version condition, conn-a's write (made from the stale read: {a, b} minus a)
    would leave the user online with no connection at all."""
    identify("conn-a")
    identify("conn-b")
    real_read = presence_store.read
    raced = []

    def read_then_the_other_closes(user_id: int) -> Any:
        found = real_read(user_id)
        if not raced:
            raced.append(True)
            lifecycle.disconnected("conn-b")
        return found

    monkeypatch.setattr(presence_store, "read", read_then_the_other_closes)
    lifecycle.disconnected("conn-a")
    assert raced
    assert visible() == "offline"
    assert presence_store.read(USER)[0].connections == frozenset()
    assert statuses() == ["online", "offline"]


def test_a_second_identify_racing_a_close_keeps_the_user_online(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conn-b identifies between conn-a's close reading and writing: the user stays online."""
    identify("conn-a")
    lifecycle.connected("conn-b", USER)
    real_read = presence_store.read
    raced = []

    def read_then_the_other_identifies(user_id: int) -> Any:
        found = real_read(user_id)
        if not raced:
            raced.append(True)
            send("conn-b", {"op": 2, "d": {"token": _token()}})
        return found

    monkeypatch.setattr(presence_store, "read", read_then_the_other_identifies)
    lifecycle.disconnected("conn-a")
    assert raced
    assert visible() == "online"
    assert presence_store.read(USER)[0].connections == frozenset({"conn-b"})
    assert statuses() == ["online"]


def test_a_connection_closed_before_its_identify_counts_is_not_counted(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$disconnect ran while IDENTIFY was under way: the user must not stay online forever."""
    lifecycle.connected("conn-a", USER)
    real_connected = presence.connected

    def closed_first(user_id: int, connection_id: str, status: Any = None) -> None:
        lifecycle.disconnected(connection_id)
        real_connected(user_id, connection_id, status)

    monkeypatch.setattr(presence, "connected", closed_first)
    send("conn-a", {"op": 2, "d": {"token": _token()}})
    assert visible() == "offline"
    assert announced() == []


def test_the_sweeper_closing_the_last_session_makes_the_user_offline(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a")
    session = sessions.get_session(USER, session_id)
    assert session is not None
    interval = get_settings().heartbeat_interval_ms
    assert lifecycle.sweep(now_ms=int(session.last_heartbeat_ms) + 2 * interval + 2_000).closed == 1
    assert visible() == "offline"
    assert statuses() == ["online", "offline"]
    lifecycle.disconnected("conn-a")  # the $disconnect that follows changes nothing
    assert statuses() == ["online", "offline"]


def _fails_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """presence.disconnected fails at its next call (a throttled write, a timeout)."""
    real = presence.disconnected

    def failing(user_id: int, connection_id: str) -> None:
        monkeypatch.setattr(presence, "disconnected", real)
        raise RuntimeError("throttled")

    monkeypatch.setattr(presence, "disconnected", failing)


def test_a_disconnect_that_fails_part_way_is_finished_by_the_sweeper(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = identify("conn-a")
    _fails_once(monkeypatch)
    with pytest.raises(RuntimeError):
        lifecycle.disconnected("conn-a")
    assert visible() == "online"  # what the failure left
    session = sessions.get_session(USER, session_id)
    assert session is not None and session.connection_id == "conn-a"  # still there to be found
    interval = get_settings().heartbeat_interval_ms
    assert lifecycle.sweep(now_ms=int(session.last_heartbeat_ms) + 2 * interval + 2_000).closed == 1
    assert visible() == "offline"
    assert statuses() == ["online", "offline"]


def test_a_session_the_sweeper_fails_on_is_swept_again_and_the_rest_still_are(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    identify("conn-a")
    identify("conn-o", OTHER)
    later = int(time.time() * 1000) + 3 * get_settings().heartbeat_interval_ms
    _fails_once(monkeypatch)
    first = lifecycle.sweep(now_ms=later)
    assert (first.checked, first.closed, first.failed) == (2, 1, 1)
    second = lifecycle.sweep(now_ms=later)
    assert (second.checked, second.closed, second.failed) == (1, 1, 0)
    assert visible() == visible(OTHER) == "offline"


def test_a_resumed_session_is_counted_on_its_new_connection(directory: FakeDirectory) -> None:
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": _token(), "session_id": session_id, "seq": 0}})
    assert frames_posted("conn-b")[-1]["t"] == "RESUMED"
    assert presence_store.read(USER)[0].connections == frozenset({"conn-b"})
    assert statuses() == ["online", "offline", "online"]


def test_a_user_in_no_guild_is_tracked_but_announces_nothing(directory: FakeDirectory) -> None:
    identify("conn-l", LONER)
    assert visible(LONER) == "online"
    assert announced(LONER) == []


def test_presence_changes_are_rate_limited_at_the_edge(
    directory: FakeDirectory, clock: Clock
) -> None:
    """5 per 20 s per user, across the user's sessions: the 6th is refused; a token comes back
    after 4 s."""
    identify("conn-a")
    identify("conn-b")
    for n in range(5):
        assert op3("conn-a" if n % 2 else "conn-b", "idle" if n % 2 else "dnd") is None
    refused = op3("conn-a", "online")
    assert refused is not None
    assert refused["d"]["code"] == "rate_limited"
    assert refused["d"]["status"] == 429
    assert refused["d"]["errors"]["retry_after"] == pytest.approx(4.0, abs=0.01)
    assert visible() == "dnd"
    clock.now += 3.9
    assert op3("conn-b", "online") is not None  # not yet
    clock.now += 0.2
    assert op3("conn-b", "online") is None
    assert visible() == "online"


def test_guild_create_presences_hold_those_not_offline(directory: FakeDirectory) -> None:
    identify("conn-a", USER)
    identify("conn-o", OTHER)
    assert op3("conn-o", "invisible", OTHER) is None
    identify("conn-l", LONER)
    assert op3("conn-l", "dnd", LONER) is None
    assert presence.presences_of([USER, OTHER, LONER, 999]) == sorted(
        [
            {"user": {"id": str(USER)}, "status": "online"},
            {"user": {"id": str(LONER)}, "status": "dnd"},
        ],
        key=lambda p: int(p["user"]["id"]),
    )


# ---------------------------------------------------------------- delivery
def _sequence_new() -> list[gateway_log.LogEntry]:
    records = [
        r
        for user in (USER, OTHER, LONER)
        for r in EventRecord.query(user_events_pk(user), consistent_read=True)
        if not r.sequenced
    ]
    records.sort(key=lambda r: int(r.event_id))
    pending = []
    for record in records:
        found = pending_from_record(
            {"eventName": "INSERT", "dynamodb": {"NewImage": record.serialize()}}
        )
        assert found is not None
        pending.append(found)
    return gateway_log.append(0, pending, ttl_s=360)


def test_a_presence_reaches_each_session_of_its_guilds_once(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTHER shares both of USER's guilds and hears USER's presence once (a client drops a
    repeated ``s``); LONER shares none and hears nothing."""
    subscribed = {USER: [GUILD, OTHER_GUILD], OTHER: [GUILD, OTHER_GUILD], LONER: []}
    monkeypatch.setattr(directory, "guild_ids", lambda user_id: subscribed[user_id])
    identify("conn-o", OTHER)
    identify("conn-l", LONER)
    _sequence_new()  # their own presences
    identify("conn-a", USER)
    entries = _sequence_new()
    plans = {
        d.connection_id: [json.loads(f) for f in d.frames] for d in fanout._deliveries(entries, 0)
    }
    (heard,) = plans["conn-o"]
    assert heard["t"] == "PRESENCE_UPDATE"
    assert heard["d"] == {"user": {"id": str(USER)}, "status": "online", "guild_id": str(GUILD)}
    assert heard["s"] == entries[-1].position
    assert "conn-l" not in plans


def test_a_resumed_session_replays_a_missed_presence(directory: FakeDirectory) -> None:
    session_id = identify("conn-o", OTHER)
    _sequence_new()
    lifecycle.disconnected("conn-o")
    _sequence_new()
    identify("conn-a", USER)
    assert op3("conn-a", "idle") is None
    _sequence_new()
    lifecycle.connected("conn-o2", OTHER)
    send(
        "conn-o2",
        {"op": 6, "d": {"token": _token(OTHER), "session_id": session_id, "seq": 1}},
        OTHER,
    )
    replayed = [
        (f["t"], f["d"].get("status"), f["d"].get("guild_id"))
        for f in frames_posted("conn-o2")
        if f["t"] == "PRESENCE_UPDATE" and f["d"]["user"]["id"] == str(USER)
    ]
    assert replayed == [
        ("PRESENCE_UPDATE", "online", str(GUILD)),
        ("PRESENCE_UPDATE", "idle", str(GUILD)),
    ]
    resumed = sessions.get_session(OTHER, session_id)
    assert resumed is not None and resumed.live_from != PAUSED


def _token(user_id: int = USER) -> str:
    from tests.functional.test_gateway_sessions import token_for

    return token_for(user_id)


def test_a_session_that_left_out_the_presence_intent_hears_no_presence(
    directory: FakeDirectory,
) -> None:
    """Nor in its GUILD_CREATE replay: the live delivery and the RESUME replay both skip it."""
    for connection, intents in (("conn-deaf", 0), ("conn-ears", GUILD_PRESENCES)):
        lifecycle.connected(connection, OTHER)
        d = {"token": _token(OTHER), "intents": intents}
        send(connection, {"op": 2, "d": d}, OTHER)
    _sequence_new()
    deaf = next(s for s in sessions.user_sessions(OTHER) if s.connection_id == "conn-deaf")
    identify("conn-a", USER)
    entries = _sequence_new()
    plans = {
        d.connection_id: [json.loads(f)["t"] for f in d.frames]
        for d in fanout._deliveries(entries, 0)
    }
    assert plans["conn-ears"] == ["PRESENCE_UPDATE"]
    assert "conn-deaf" not in plans
    lifecycle.disconnected("conn-deaf")
    lifecycle.connected("conn-deaf2", OTHER)
    resume = {"token": _token(OTHER), "session_id": deaf.session_id, "seq": 0}
    send("conn-deaf2", {"op": 6, "d": resume}, OTHER)
    assert [f["t"] for f in frames_posted("conn-deaf2")] == ["RESUMED"]


def test_identify_with_bad_intents_is_refused(directory: FakeDirectory) -> None:
    lifecycle.connected("conn-a", USER)
    send("conn-a", {"op": 2, "d": {"token": _token(), "intents": "all"}})
    (error,) = frames_posted("conn-a")
    assert error["d"]["code"] == "invalid_payload"
    assert sessions.user_sessions(USER) == []
