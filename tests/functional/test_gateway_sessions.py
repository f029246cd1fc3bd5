"""Gateway sessions under moto: sequencing, IDENTIFY, RESUME, delivery plans, the sweeper."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.auth.keysource import load_keyring
from shared.auth.tokens import issue_access_token
from shared.config import get_settings
from shared.gateway import commands, fanout, lifecycle
from shared.gateway.directory import set_directory
from shared.gateway.domain.session import PAUSED
from shared.gateway.poster import Delivery
from shared.gateway.storage import gateway_log, sessions
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage.outbox import PendingEvent, pending_from_record, record_of
from tests.directory_contract import hidden_overwrite
from tests.fake_directory import FakeDirectory
from tests.functional.conftest import FakeLambdaContext, frames_posted, load_event
from websocket_routes.default import app as default_app

USER = 42
OTHER = 43
GUILD = 7
CHANNEL = 99  # the guild's one channel
OWNER = 41  # of the guild: sees every channel


@pytest.fixture
def directory(table: str, monkeypatch: pytest.MonkeyPatch) -> FakeDirectory:
    # The issuer's JWKS, without the HTTP fetch: the local ring holds the same public keys.
    monkeypatch.setattr(commands, "issuer_keys", lambda: load_keyring(get_settings()))
    fake = FakeDirectory()
    fake.add_user(USER)
    fake.add_user(OTHER)
    fake.add_guild(GUILD, OWNER, channels=[CHANNEL], members={USER, OTHER})
    set_directory(fake)
    return fake


def token_for(user_id: int) -> str:
    settings = get_settings()
    return issue_access_token(
        load_keyring(settings),
        user_id=user_id,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=600,
    ).token


def message_event(connection_id: str, frame: dict[str, Any], user_id: int = USER) -> dict[str, Any]:
    event = load_event("ws-heartbeat.json")
    context = event["requestContext"]
    context["connectionId"] = connection_id
    context["authorizer"] = {"principalId": str(user_id), "userId": str(user_id)}
    event["body"] = json.dumps(frame)
    return event


def send(connection_id: str, frame: dict[str, Any], user_id: int = USER) -> None:
    default_app.lambda_handler(message_event(connection_id, frame, user_id), FakeLambdaContext())


def identify(connection_id: str, user_id: int = USER) -> str:
    lifecycle.connected(connection_id, user_id)
    send(connection_id, {"op": 2, "d": {"token": token_for(user_id), "properties": {}}}, user_id)
    ready = frames_posted(connection_id)[0]
    assert ready["t"] == "READY"
    return str(ready["d"]["session_id"])


def emit_and_sequence(*events: GatewayEvent) -> list[gateway_log.LogEntry]:
    """What the fan-out's first stage does with the outbox items the stream carries."""
    pending = [outboxed(event) for event in events]
    return gateway_log.append(0, pending, ttl_s=360)


def outboxed(event: GatewayEvent) -> PendingEvent:
    item = record_of(event, datetime.now(UTC))
    item.save()
    found = pending_from_record({"eventName": "INSERT", "dynamodb": {"NewImage": item.serialize()}})
    assert found is not None
    return found


def message(n: int, guild: int = GUILD, channel: int = 99) -> GatewayEvent:
    return GatewayEvent(EventName.MESSAGE_CREATE, guild, {"n": n}, channel_id=channel)


def test_append_gives_dense_positions_in_order(directory: FakeDirectory) -> None:
    first = emit_and_sequence(*(message(n) for n in range(3)))
    second = emit_and_sequence(*(message(n) for n in range(3, 130)))  # several transactions
    positions = [e.position for e in first + second]
    assert positions == list(range(1, 131))
    assert [e.event.d["n"] for e in first + second] == list(range(130))
    assert gateway_log.head(0) == 130
    replay = list(gateway_log.read_after(0, 100, 130))
    assert [e.position for e in replay] == list(range(101, 131))


def test_a_retried_batch_is_not_sequenced_twice(directory: FakeDirectory) -> None:
    pending = outboxed(message(1))
    assert [e.position for e in gateway_log.append(0, [pending], ttl_s=360)] == [1]
    assert gateway_log.append(0, [pending], ttl_s=360) == []
    assert gateway_log.head(0) == 1


def test_a_containers_next_append_does_not_read_the_head(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    emit_and_sequence(message(0))

    def unread(shard: int) -> int:
        raise AssertionError("the head was read")

    monkeypatch.setattr(gateway_log, "head", unread)
    assert [e.position for e in emit_and_sequence(message(1), message(2))] == [2, 3]


def test_an_append_after_another_writer_lands_after_its_entries(directory: FakeDirectory) -> None:
    emit_and_sequence(message(0))
    this_container = dict(gateway_log._HEADS)
    gateway_log._HEADS.clear()  # another container, which has not appended yet
    assert [e.position for e in emit_and_sequence(message(1))] == [2]
    gateway_log._HEADS.update(this_container)  # this one still believes the head is 1
    assert [e.position for e in emit_and_sequence(message(2))] == [3]
    assert [e.event.d["n"] for e in gateway_log.read_after(0, 0, 3)] == [0, 1, 2]
    assert gateway_log.head(0) == 3


def test_identify_sends_ready_then_guilds_and_goes_live(directory: FakeDirectory) -> None:
    emit_and_sequence(message(0))  # before the session: not for it
    session_id = identify("conn-a")
    frames = frames_posted("conn-a")
    assert [f["t"] for f in frames] == ["READY", "GUILD_CREATE"]
    ready = frames[0]
    assert ready["s"] == 1
    assert ready["d"]["user"]["id"] == str(USER)
    assert ready["d"]["guilds"] == [str(GUILD)]
    assert ready["d"]["heartbeat_interval"] == get_settings().heartbeat_interval_ms
    assert ready["d"]["read_state"] == directory.read_state(USER, [GUILD])
    session = sessions.get_session(USER, session_id)
    assert session is not None
    assert session.live_from == 2
    assert session.connection_id == "conn-a"


def test_second_identify_on_a_connection_is_refused(directory: FakeDirectory) -> None:
    identify("conn-a")
    send("conn-a", {"op": 2, "d": {"token": token_for(USER)}})
    assert frames_posted("conn-a")[-1]["d"]["code"] == "already_identified"


def test_deliveries_follow_live_from_scope_and_channel_visibility(
    directory: FakeDirectory,
) -> None:
    identify("conn-a", USER)
    identify("conn-b", OTHER)
    directory.hidden.add((99, OTHER))
    entries = emit_and_sequence(
        message(1),
        GatewayEvent(EventName.GUILD_UPDATE, GUILD, {"x": 1}),
        message(2, guild=GUILD + 1, channel=5),
    )
    plans = {
        d.connection_id: [json.loads(f) for f in d.frames] for d in fanout._deliveries(entries, 0)
    }
    assert [f["t"] for f in plans["conn-a"]] == ["MESSAGE_CREATE", "GUILD_UPDATE"]
    assert [f["s"] for f in plans["conn-a"]] == [1, 2]
    assert [f["t"] for f in plans["conn-b"]] == ["GUILD_UPDATE"]  # may not view channel 99


def _channel(event: EventName, channel: int = 99) -> GatewayEvent:
    """An event of the channel the tests hide from OTHER: its JSON shows the overwrite."""
    d = {"id": str(channel), "guild_id": str(GUILD), "type": 0, "name": "secret", "topic": "t"}
    d["permission_overwrites"] = [hidden_overwrite(OTHER)]
    return GatewayEvent(event, GUILD, d, channel_id=channel)


def test_a_channel_hidden_from_a_member_is_deleted_for_them_and_updated_for_the_rest(
    directory: FakeDirectory,
) -> None:
    identify("conn-a", USER)
    identify("conn-b", OTHER)
    directory.hidden.add((99, OTHER))
    entries = emit_and_sequence(_channel(EventName.CHANNEL_UPDATE), message(1))
    plans = {
        d.connection_id: [json.loads(f) for f in d.frames] for d in fanout._deliveries(entries, 0)
    }
    assert [(f["t"], f["s"]) for f in plans["conn-a"]] == [
        ("CHANNEL_UPDATE", 1),
        ("MESSAGE_CREATE", 2),
    ]
    assert [(f["t"], f["s"]) for f in plans["conn-b"]] == [("CHANNEL_DELETE", 1)]
    assert plans["conn-b"][0]["d"] == {"id": "99", "guild_id": str(GUILD), "type": 0}
    assert plans["conn-a"][0]["d"]["name"] == "secret"


def test_a_channel_deletion_reaches_those_who_could_see_it(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel is gone from the store: who could see it is judged on the event's copy."""
    identify("conn-a", USER)
    identify("conn-b", OTHER)
    directory.hidden.add((99, OTHER))
    judged: list[Any] = []
    real = directory.who_could_view

    def who_could_view(guild_id: int, channel: Mapping[str, Any], users: Iterable[int]) -> set[int]:
        judged.append(channel)
        return real(guild_id, channel, users)

    monkeypatch.setattr(directory, "who_could_view", who_could_view)
    entries = emit_and_sequence(_channel(EventName.CHANNEL_DELETE))
    plans = {
        d.connection_id: [json.loads(f) for f in d.frames] for d in fanout._deliveries(entries, 0)
    }
    assert [f["t"] for f in plans["conn-a"]] == ["CHANNEL_DELETE"]
    assert "conn-b" not in plans  # never saw it: told nothing
    assert judged and judged[0]["name"] == "secret"


def test_a_resume_replays_a_hidden_channel_as_its_deletion(directory: FakeDirectory) -> None:
    session_id = identify("conn-b", OTHER)
    lifecycle.disconnected("conn-b")
    directory.hidden.add((99, OTHER))
    emit_and_sequence(
        _channel(EventName.CHANNEL_UPDATE), message(1), _channel(EventName.CHANNEL_DELETE)
    )
    lifecycle.connected("conn-c", OTHER)
    resume = {"token": token_for(OTHER), "session_id": session_id, "seq": 0}
    send("conn-c", {"op": 6, "d": resume}, OTHER)
    assert [(f["t"], f["s"]) for f in frames_posted("conn-c")] == [
        ("CHANNEL_DELETE", 1),
        ("RESUMED", 3),
    ]


def test_a_joiners_guild_create_too_big_for_a_frame_goes_out_in_parts_live_and_replayed(
    directory: FakeDirectory,
) -> None:
    """A joiner's GUILD_CREATE carries the presences of up to 1,000 members: in a big guild,
    more than one frame holds (API Gateway refuses posts over 128 KB)."""
    session_id = identify("conn-a", USER)
    presences = [{"user": {"id": str(10**17 + n)}, "status": "online"} for n in range(3000)]
    joined = GatewayEvent(
        EventName.GUILD_CREATE,
        GUILD + 5,
        {"id": str(GUILD + 5), "name": "big", "presences": presences},
        user_id=USER,
    )
    entries = emit_and_sequence(joined, message(1))
    (plan,) = fanout._deliveries(entries, 0)
    frames = [json.loads(f) for f in plan.frames]
    assert [f["t"] for f in frames[:-1]] == ["GUILD_CREATE"] * (len(frames) - 1)
    assert len(frames) > 2 and frames[-1]["t"] == "MESSAGE_CREATE"
    assert {f["s"] for f in frames[:-1]} == {1}  # every part at the event's position
    assert all(len(f) <= 128 * 1024 for f in plan.frames)
    parts = frames[:-1]
    assert [p["d"]["chunk_index"] for p in parts] == list(range(len(parts)))
    assert [p for f in parts for p in f["d"]["presences"]] == presences
    # The same parts in a replay.
    lifecycle.disconnected("conn-a")
    lifecycle.connected("conn-b", USER)
    resume = {"token": token_for(USER), "session_id": session_id, "seq": 0}
    send("conn-b", {"op": 6, "d": resume})
    replayed = frames_posted("conn-b")
    assert [f["d"] for f in replayed if f["t"] == "GUILD_CREATE"] == [p["d"] for p in parts]


def _between_replay_and_handoff(
    monkeypatch: pytest.MonkeyPatch, act: Callable[[], None]
) -> list[int]:
    """Run ``act`` once, after the replay and before the session is handed over; the
    positions each handoff attempt was made at."""
    real = sessions.go_live
    attempts: list[int] = []

    def go_live(session: sessions.SessionItem, shard: int, replayed_to: int) -> sessions.Handoff:
        if not attempts:
            act()
        attempts.append(replayed_to)
        return real(session, shard, replayed_to)

    monkeypatch.setattr(sessions, "go_live", go_live)
    return attempts


def test_events_appended_during_a_handoff_come_live_without_another_round(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log moving is no obstacle (decision 14): what the fan-out has not delivered yet it
    delivers to the session, which it reads live."""
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    emit_and_sequence(message(1), message(2))
    appended: list[gateway_log.LogEntry] = []
    attempts = _between_replay_and_handoff(
        monkeypatch, lambda: appended.extend(emit_and_sequence(message(3)))
    )
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": token_for(USER), "session_id": session_id, "seq": 0}})
    assert attempts == [2]  # one round: live from 3
    (live,) = [d for d in fanout._deliveries(appended, 0) if d.connection_id == "conn-b"]
    got = frames_posted("conn-b") + [json.loads(f) for f in live.frames]
    assert [(f["t"], f["s"]) for f in got] == [
        ("MESSAGE_CREATE", 1),
        ("MESSAGE_CREATE", 2),
        ("RESUMED", 2),
        ("MESSAGE_CREATE", 3),
    ]


def test_a_handoff_the_fan_out_overtook_replays_on_and_never_twice(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fan-out started delivering an entry after the replay while the session was still
    paused (so it skipped it): the handoff fails, and the next round replays that entry."""
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    emit_and_sequence(message(1), message(2))
    delivered: list[list[Delivery]] = []
    attempts = _between_replay_and_handoff(
        monkeypatch, lambda: delivered.append(fanout._deliveries(emit_and_sequence(message(3)), 0))
    )
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": token_for(USER), "session_id": session_id, "seq": 0}})
    assert attempts == [2, 3]
    assert all(d.connection_id != "conn-b" for d in delivered[0])  # paused: skipped live
    assert [(f["t"], f["s"]) for f in frames_posted("conn-b")] == [
        ("MESSAGE_CREATE", 1),
        ("MESSAGE_CREATE", 2),
        ("MESSAGE_CREATE", 3),
        ("RESUMED", 3),
    ]
    later = emit_and_sequence(message(4))
    (live,) = [d for d in fanout._deliveries(later, 0) if d.connection_id == "conn-b"]
    assert [json.loads(f)["s"] for f in live.frames] == [4]


def test_a_handoff_that_commits_as_the_fan_out_reads_the_session_paused_comes_live(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fan-out read the session paused, and its handoff committed before the fan-out moved
    the cursor: the fan-out reads it again after moving the cursor, and delivers it live what
    its replay did not hold."""
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    emit_and_sequence(message(1), message(2))
    real_go_live, real_mark = sessions.go_live, gateway_log.mark_delivering
    handoffs: list[sessions.Handoff] = []
    delivered: list[list[Delivery]] = []

    def go_live(session: sessions.SessionItem, shard: int, replayed_to: int) -> sessions.Handoff:
        def handoff_then_mark(shard_: int, upto: int) -> None:
            handoffs.append(real_go_live(session, shard, replayed_to))
            real_mark(shard_, upto)

        monkeypatch.setattr(gateway_log, "mark_delivering", handoff_then_mark)
        delivered.append(fanout._deliveries(emit_and_sequence(message(3)), 0))
        return handoffs[-1]

    monkeypatch.setattr(sessions, "go_live", go_live)
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": token_for(USER), "session_id": session_id, "seq": 0}})
    assert handoffs == [sessions.Handoff.LIVE]  # replayed to 2, live from 3
    assert [(f["t"], f["s"]) for f in frames_posted("conn-b")] == [
        ("MESSAGE_CREATE", 1),
        ("MESSAGE_CREATE", 2),
        ("RESUMED", 2),
    ]
    (live,) = [d for d in delivered[0] if d.connection_id == "conn-b"]
    assert [json.loads(f)["s"] for f in live.frames] == [3]


def test_a_guild_the_replay_joins_is_replayed_again_before_the_handoff(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay met the user's join of a guild the session was not subscribed to. A fan-out
    batch of that guild that read its subscribers before the command subscribed the session
    did not see it (so moved no cursor): the command replays again before the handoff."""
    joined_guild = GUILD + 1
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    join = GatewayEvent(
        EventName.GUILD_CREATE,
        joined_guild,
        {"id": str(joined_guild), "name": "new"},
        user_id=USER,
    )
    joined_channel = CHANNEL + 1
    directory.add_guild(joined_guild, OWNER, channels=[joined_channel], members={USER})
    emit_and_sequence(join)  # its fan-out batch ran before this session existed: not delivered
    real_subscribe = sessions.subscribe
    delivered: list[list[Delivery]] = []

    def subscribe(session: sessions.SessionItem, scope: str) -> None:
        if not delivered:  # between the replay's read of the log and the subscription
            entries = emit_and_sequence(message(2, guild=joined_guild, channel=joined_channel))
            delivered.append(fanout._deliveries(entries, 0))
        real_subscribe(session, scope)

    monkeypatch.setattr(sessions, "subscribe", subscribe)
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": token_for(USER), "session_id": session_id, "seq": 0}})
    assert all(d.connection_id != "conn-b" for d in delivered[0])  # not subscribed when read
    assert [(f["t"], f["s"]) for f in frames_posted("conn-b")] == [
        ("GUILD_CREATE", 1),
        ("MESSAGE_CREATE", 2),
        ("RESUMED", 2),
    ]


def test_a_batch_that_finds_no_paused_session_does_not_move_the_cursor(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor's write is only needed against a handoff under way (decision 14)."""
    identify("conn-a")
    marks: list[int] = []
    monkeypatch.setattr(gateway_log, "mark_delivering", lambda shard, upto: marks.append(upto))
    (live,) = fanout._deliveries(emit_and_sequence(message(1)), 0)
    assert live.connection_id == "conn-a"
    assert [json.loads(f)["s"] for f in live.frames] == [1]
    assert marks == []


def test_resume_replays_exactly_what_was_missed(directory: FakeDirectory) -> None:
    session_id = identify("conn-a")
    emit_and_sequence(message(1), message(2))
    lifecycle.disconnected("conn-a")
    emit_and_sequence(message(3), message(4))
    lifecycle.connected("conn-b", USER)
    send("conn-b", {"op": 6, "d": {"token": token_for(USER), "session_id": session_id, "seq": 2}})
    frames = frames_posted("conn-b")
    assert [(f["t"], f["s"]) for f in frames] == [
        ("MESSAGE_CREATE", 3),
        ("MESSAGE_CREATE", 4),
        ("RESUMED", 4),
    ]
    session = sessions.get_session(USER, session_id)
    assert session is not None
    assert session.connection_id == "conn-b"
    assert session.live_from == 5


@pytest.mark.parametrize(
    ("user", "seq", "why"),
    [(OTHER, 0, "not your session"), (USER, 99, "seq beyond the head"), (USER, -1, "bad seq")],
)
def test_resume_that_cannot_be_exact_is_refused(
    directory: FakeDirectory, user: int, seq: int, why: str
) -> None:
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    lifecycle.connected("conn-b", user)
    resume = {"token": token_for(user), "session_id": session_id, "seq": seq}
    send("conn-b", {"op": 6, "d": resume}, user)
    last = frames_posted("conn-b")[-1]
    if seq < 0:
        assert last["op"] == 12, why
    else:
        assert last == {"op": 9, "d": False, "s": None, "t": None}, why


def test_resume_after_the_window_is_an_invalid_session(directory: FakeDirectory) -> None:
    session_id = identify("conn-a")
    lifecycle.disconnected("conn-a")
    session = sessions.get_session(USER, session_id)
    assert session is not None
    window_ms = get_settings().resume_window_s * 1000
    session.update(
        actions=[sessions.SessionItem.disconnected_ms.set(int(time.time() * 1000) - window_ms - 1)]
    )
    lifecycle.connected("conn-b", USER)
    resume = {"token": token_for(USER), "session_id": session_id, "seq": 1}
    send("conn-b", {"op": 6, "d": resume})
    assert frames_posted("conn-b")[-1]["op"] == 9


def test_heartbeat_resets_the_clock_and_the_sweeper_closes_silent_sessions(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a")
    send("conn-a", {"op": 1, "d": 1})
    assert frames_posted("conn-a")[-1]["op"] == 11
    session = sessions.get_session(USER, session_id)
    assert session is not None
    interval = get_settings().heartbeat_interval_ms
    assert lifecycle.sweep(now_ms=int(session.last_heartbeat_ms) + interval).closed == 0
    report = lifecycle.sweep(now_ms=int(session.last_heartbeat_ms) + 2 * interval + 2_000)
    assert report.closed == 1
    closed = sessions.get_session(USER, session_id)
    assert closed is not None
    assert closed.connection_id is None
    assert closed.live_from == PAUSED or closed.disconnected_ms is not None


@pytest.mark.parametrize("token", ["", "not-a-jwt", "other-user"])
def test_identify_needs_a_valid_token_of_the_connections_user(
    directory: FakeDirectory, token: str
) -> None:
    lifecycle.connected("conn-x", USER)
    sent = token_for(OTHER) if token == "other-user" else token
    send("conn-x", {"op": 2, "d": {"token": sent}})
    error = frames_posted("conn-x")[-1]
    assert error["op"] == 12
    assert error["d"]["status"] in (400, 401)
    connection = sessions.get_connection("conn-x")
    assert connection is not None
    assert connection.session_id is None


def test_a_handoff_the_fan_out_keeps_overtaking_ends_in_reconnect(
    directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a session that has READY but stays paused behind an open connection."""
    rounds: list[int] = []

    def overtaken(session: sessions.SessionItem, shard: int, replayed_to: int) -> sessions.Handoff:
        rounds.append(replayed_to)
        return sessions.Handoff.OVERTAKEN

    monkeypatch.setattr(sessions, "go_live", overtaken)
    monkeypatch.setenv("PARLEY_GATEWAY_HANDOFF_S", "0.3")
    get_settings.cache_clear()
    try:
        session_id = identify("conn-a")
    finally:
        monkeypatch.delenv("PARLEY_GATEWAY_HANDOFF_S")
        get_settings.cache_clear()
    frames = frames_posted("conn-a")
    assert [f["op"] for f in frames] == [0, 0, 7]  # READY, GUILD_CREATE, RECONNECT
    assert len(rounds) >= 1
    session = sessions.get_session(USER, session_id)
    assert session is not None and session.live_from == PAUSED  # the RESUME hands it over
