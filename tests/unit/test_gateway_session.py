"""The gateway session as a state machine, with no store and no socket: IDENTIFY, RESUME, the
replay's rounds, the handoff to live delivery and RECONNECT, fed and answered by pure calls."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from shared.errors import Conflict, Invalid
from shared.gateway.domain.log_events import LogEvent, Scope
from shared.gateway.domain.protocol import Frame, Op
from shared.gateway.domain.session import (
    PAUSED,
    Attach,
    Command,
    CountConnected,
    CreateSession,
    Due,
    GatewaySession,
    GoLive,
    Handoff,
    Heard,
    Heartbeat,
    Identify,
    Link,
    LiveSession,
    ReadLog,
    Replay,
    Resume,
    Send,
    SessionRecord,
    Subscribe,
    Timing,
    TouchHeartbeat,
    Unsubscribe,
    sweep_due,
)
from shared.presence.domain.presence import Status

NOW = 1_700_000_000_000
USER, OTHER = 42, 43
GUILD = 7
WINDOW_S = 300
TIMING = Timing(
    heartbeat_interval_ms=41_250,
    resume_window_s=WINDOW_S,
    handoff_s=10.0,
    session_ttl_s=7_560,
    log_shards=4,
)
LINK = Link("conn-b", "ws.example.test", "prod", connected_ms=NOW - 50)


def session(timing: Timing = TIMING) -> GatewaySession:
    return GatewaySession(LINK, timing)


def message(position: int, guild: int = GUILD, channel: int = 99) -> Heard:
    return Heard(
        position,
        LogEvent("MESSAGE_CREATE", {"n": position}, Scope.guild(guild), channel_id=channel),
    )


def joined(position: int, guild: int, user: int = USER) -> Heard:
    d = {"id": str(guild), "name": "new"}
    return Heard(position, LogEvent("GUILD_CREATE", d, Scope.user(user)))


def left(position: int, guild: int, user: int = USER) -> Heard:
    return Heard(position, LogEvent("GUILD_DELETE", {"id": str(guild)}, Scope.user(user)))


def stored(**changes: Any) -> SessionRecord:
    """A session identified after position 10 on an older connection, closed a minute ago."""
    record = SessionRecord(
        session_id="s1",
        user_id=USER,
        shard=USER % TIMING.log_shards,
        scopes=frozenset({Scope.guild(GUILD), Scope.user(USER)}),
        connection_id=None,
        domain_name=None,
        stage=None,
        live_from=11,
        started_after=10,
        connected_ms=NOW - 3_600_000,
        last_heartbeat_ms=NOW - 70_000,
        disconnected_ms=NOW - 60_000,
        login="login-1",
    )
    return replace(record, **changes)


@dataclass
class Shell:
    """What a shell does with the commands, against a log held in a list: the frames sent, the
    writes asked for, the handoffs attempted, each answered as ``handoffs`` says."""

    log: list[Heard]
    handoffs: Callable[[int], Handoff] = lambda replayed_to: Handoff.LIVE
    clock: Iterator[int] = field(default_factory=lambda: iter(range(NOW, NOW + 10**9, 1_000)))
    #: Appended to the log after each read (what the stream sequences meanwhile).
    appends: list[list[Heard]] = field(default_factory=list)
    #: Sends that find the connection closed: their indexes among all sends.
    closed_at: set[int] = field(default_factory=set)
    sent: list[Frame] = field(default_factory=list)
    writes: list[Command] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    reads: list[tuple[int, int]] = field(default_factory=list)
    sends: int = 0

    def run(self, machine: GatewaySession, commands: Sequence[Command]) -> None:
        pending = list(commands)
        while pending:
            command = pending.pop(0)
            if isinstance(command, Send):
                self.sends += 1
                if self.sends - 1 in self.closed_at:
                    machine.closed()
                    return
                self.sent += command.frames
            elif isinstance(command, ReadLog):
                until = self.log[-1].position if self.log else 0
                self.reads.append((command.after, until))
                entries = [e for e in self.log if command.after < e.position <= until]
                if self.appends:
                    self.log += self.appends.pop(0)
                heard = machine.hear(entries, until)
                pending = machine.replay(heard, next(self.clock)) + pending
            elif isinstance(command, GoLive):
                self.attempts.append(command.replayed_to)
                outcome = self.handoffs(command.replayed_to)
                pending = machine.handed_off(outcome, next(self.clock)) + pending
            else:
                self.writes.append(command)

    def dispatched(self) -> list[tuple[str | None, int | None]]:
        return [(f.t, f.s) for f in self.sent]


def resume(
    machine: GatewaySession,
    record: SessionRecord | None,
    *,
    seq: int = 10,
    head: int = 12,
    oldest: int = 1,
    user: int = USER,
    now_ms: int = NOW,
) -> list[Command]:
    """RESUME of ``record`` from ``seq``, with the log holding ``oldest`` to ``head``."""
    return machine.resume(
        Resume("s1", seq, "token"),
        user_id=user,
        login="login-2",
        stored=record,
        head=head,
        oldest_kept=oldest,
        now_ms=now_ms,
    )


def resumed(
    shell: Shell, *, seq: int = 10, record: SessionRecord | None = None, timing: Timing = TIMING
) -> GatewaySession:
    """A session resumed, its commands run by ``shell``."""
    machine = session(timing)
    head = shell.log[-1].position if shell.log else 10
    commands = resume(machine, record or stored(), seq=seq, head=head, now_ms=next(shell.clock))
    shell.run(machine, commands)
    return machine


# ---------------------------------------------------------------- IDENTIFY


def test_identify_counts_the_connection_then_starts_a_paused_session_after_the_head() -> None:
    machine = session()
    counted = machine.identify(
        Identify("token", {"status": "idle"}), user_id=USER, login="l", identified=False
    )
    assert counted == [CountConnected(USER, "conn-b", Status.IDLE)]
    (create,) = machine.start(
        session_id="s1", head=10, guild_ids=[GUILD], dm_channel_ids=[55], now_ms=NOW
    )
    assert isinstance(create, CreateSession)
    record = create.record
    assert record.live_from == PAUSED
    assert record.started_after == 10
    assert record.scopes == {Scope.guild(GUILD), Scope.dm(55), Scope.user(USER)}
    assert (record.connection_id, record.shard, record.login) == ("conn-b", USER % 4, "l")
    assert create.ttl_s == TIMING.session_ttl_s


def test_identify_sends_ready_then_each_guild_then_replays_from_the_head() -> None:
    machine = session()
    machine.identify(Identify("token"), user_id=USER, login=None, identified=False)
    machine.start(session_id="s1", head=10, guild_ids=[GUILD, 8], dm_channel_ids=[], now_ms=NOW)
    guilds = [{"id": str(GUILD), "presences": [1]}, {"id": "8", "presences": [2]}]
    welcome = machine.welcome(user={"id": "42"}, read_state=[], guilds=guilds, now_ms=NOW)
    send, read = welcome
    assert isinstance(send, Send)
    ready, *created = send.frames
    assert (ready.t, ready.s) == ("READY", 10)
    assert ready.d["session_id"] == "s1"
    assert ready.d["guilds"] == [str(GUILD), "8"]
    assert ready.d["heartbeat_interval"] == TIMING.heartbeat_interval_ms
    assert ready.d["resume_window"] == WINDOW_S
    assert [(f.t, f.s, f.d) for f in created] == [
        ("GUILD_CREATE", 10, guilds[0]),
        ("GUILD_CREATE", 10, guilds[1]),
    ]
    assert read == ReadLog(USER % 4, 10)


def test_identify_without_the_presences_intent_hears_no_presences() -> None:
    machine = session()
    machine.identify(Identify("token", intents=0), user_id=USER, login=None, identified=False)
    machine.start(session_id="s1", head=10, guild_ids=[GUILD], dm_channel_ids=[], now_ms=NOW)
    guild = {"id": str(GUILD), "presences": [{"status": "online"}]}
    send, _ = machine.welcome(user={}, read_state=[], guilds=[guild], now_ms=NOW)
    assert isinstance(send, Send)
    assert send.frames[1].d == {"id": str(GUILD)}
    presence = Heard(11, LogEvent("PRESENCE_UPDATE", {"status": "idle"}, Scope.guild(GUILD)))
    assert machine.hear([presence, message(12)], 12) == [message(12)]


def test_a_guild_too_big_for_one_frame_goes_out_in_parts_at_the_same_position() -> None:
    machine = session()
    machine.identify(Identify("token"), user_id=USER, login=None, identified=False)
    machine.start(session_id="s1", head=10, guild_ids=[GUILD], dm_channel_ids=[], now_ms=NOW)
    presences = [{"user": {"id": str(10**17 + n)}, "status": "online"} for n in range(3000)]
    guild = {"id": str(GUILD), "presences": presences}
    send, _ = machine.welcome(user={}, read_state=[], guilds=[guild], now_ms=NOW)
    assert isinstance(send, Send)
    parts = send.frames[1:]
    assert len(parts) > 1
    assert {(f.t, f.s) for f in parts} == {("GUILD_CREATE", 10)}
    assert [p.d["chunk_index"] for p in parts] == list(range(len(parts)))
    assert [p for f in parts for p in f.d["presences"]] == presences


def test_a_second_identify_on_a_connection_is_refused_before_anything_is_written() -> None:
    with pytest.raises(Conflict) as refused:
        session().identify(Identify("token"), user_id=USER, login=None, identified=True)
    assert refused.value.code == "already_identified"


@pytest.mark.parametrize(
    "hello",
    [Identify("token", presence={"status": "asleep"}), Identify("token", intents="all")],
)
def test_identify_with_a_bad_presence_or_intents_is_invalid(hello: Identify) -> None:
    with pytest.raises(Invalid):
        session().identify(hello, user_id=USER, login=None, identified=False)


def test_identify_takes_an_object() -> None:
    with pytest.raises(Invalid):
        Identify.parse(["token"])
    assert Identify.parse({"token": "t", "intents": 1}) == Identify("t", None, 1)


# ---------------------------------------------------------------- RESUME


def test_a_resume_within_the_window_attaches_replays_and_hands_over() -> None:
    shell = Shell(log=[message(11), message(12), message(13)])
    machine = resumed(shell, seq=11)
    attach, counted = shell.writes
    assert isinstance(attach, Attach)
    assert attach.record.connection_id == "conn-b"
    assert attach.record.live_from == PAUSED
    assert attach.record.disconnected_ms is None
    assert attach.record.login == "login-2"
    assert attach.ttl_s == TIMING.session_ttl_s
    assert counted == CountConnected(USER, "conn-b")
    assert shell.dispatched() == [("MESSAGE_CREATE", 12), ("MESSAGE_CREATE", 13)]
    assert shell.attempts == [13]
    assert machine.outcome is Replay.LIVE
    assert machine.record is not None and machine.record.live_from == 14
    assert machine.answer == Frame(Op.DISPATCH, {"session_id": "s1"}, s=13, t="RESUMED")


def test_a_resume_with_nothing_missed_goes_live_after_the_seq() -> None:
    shell = Shell(log=[message(11)])
    machine = resumed(shell, seq=11)
    assert shell.sent == []
    assert shell.attempts == [11]
    assert machine.answer is not None and machine.answer.s == 11


@pytest.mark.parametrize(
    ("record", "user", "seq", "head", "oldest", "why"),
    [
        (stored(disconnected_ms=NOW - WINDOW_S * 1000 - 1), USER, 11, 12, 1, "beyond the window"),
        (None, USER, 11, 12, 1, "unknown session"),
        (stored(), OTHER, 11, 12, 1, "another user's session"),
        (stored(), USER, 9, 12, 1, "before the session began"),
        (stored(), USER, 13, 12, 1, "beyond the log's head"),
        (stored(), USER, 11, 12, 13, "the log no longer holds what was missed"),
    ],
)
def test_a_resume_that_cannot_be_exact_is_an_invalid_session(
    record: SessionRecord | None, user: int, seq: int, head: int, oldest: int, why: str
) -> None:
    machine = session()
    commands = resume(machine, record, seq=seq, head=head, oldest=oldest, user=user)
    assert commands == [], why
    assert machine.answer == Frame(Op.INVALID_SESSION, False), why


def test_a_resume_at_the_windows_edge_is_still_a_resume() -> None:
    commands = resume(session(), stored(disconnected_ms=NOW - WINDOW_S * 1000), seq=11)
    assert commands[-1] == ReadLog(USER % 4, 11)


def test_a_session_still_live_on_another_connection_can_be_resumed() -> None:
    shell = Shell(log=[message(11)])
    record = stored(connection_id="conn-a", disconnected_ms=None, live_from=11)
    machine = resumed(shell, seq=10, record=record)
    assert shell.dispatched() == [("MESSAGE_CREATE", 11)]
    assert machine.outcome is Replay.LIVE


@pytest.mark.parametrize(
    "d",
    [
        None,
        {"session_id": 5, "seq": 1},
        {"session_id": "s1", "seq": -1},
        {"session_id": "s1", "seq": True},
        {"session_id": "s1", "seq": "3"},
    ],
)
def test_a_resume_payload_names_a_session_and_a_sequence_number(d: object) -> None:
    with pytest.raises(Invalid):
        Resume.parse(d)


# ---------------------------------------------------------------- the replay's rounds


def test_the_replay_sends_what_the_session_hears_in_log_order() -> None:
    other_guild = message(12, guild=GUILD + 1)
    someone_else = Heard(13, LogEvent("USER_UPDATE", {"id": "43"}, Scope.user(OTHER)))
    mine = Heard(14, LogEvent("USER_UPDATE", {"id": "42"}, Scope.user(USER)))
    shell = Shell(log=[message(11), other_guild, someone_else, mine])
    resumed(shell)
    assert shell.dispatched() == [("MESSAGE_CREATE", 11), ("USER_UPDATE", 14)]


def test_the_replay_sends_what_the_shell_was_told_the_user_may_see() -> None:
    """The shell keeps of each channel's event what the user may see: the session sends that."""
    machine = session()
    resume(machine, stored())
    heard = machine.hear([message(11), message(12)], 12)
    hidden = Heard(12, LogEvent("CHANNEL_DELETE", {"id": "99"}, Scope.guild(GUILD), 99))
    send, go = machine.replay([heard[0], hidden], NOW)
    assert isinstance(send, Send)
    assert [(f.t, f.s) for f in send.frames] == [("MESSAGE_CREATE", 11), ("CHANNEL_DELETE", 12)]
    assert go == GoLive(12)


def test_a_guild_the_replay_joins_is_subscribed_and_replayed_again_before_the_handoff() -> None:
    shell = Shell(
        log=[joined(11, GUILD + 1)],
        appends=[[message(12, guild=GUILD + 1)]],  # sequenced as the first round was read
    )
    machine = resumed(shell)
    assert Subscribe(Scope.guild(GUILD + 1)) in shell.writes
    assert shell.reads == [(10, 11), (11, 12)]
    assert shell.attempts == [12]  # never handed over from the round that joined
    assert shell.dispatched() == [("GUILD_CREATE", 11), ("MESSAGE_CREATE", 12)]
    assert machine.record is not None and Scope.guild(GUILD + 1) in machine.record.scopes


def test_a_guild_the_replay_leaves_is_unsubscribed_and_nothing_later_of_it_is_sent() -> None:
    shell = Shell(log=[message(11), left(12, GUILD), message(13)])
    machine = resumed(shell)
    assert shell.writes[2:] == [Unsubscribe(Scope.guild(GUILD))]
    assert shell.dispatched() == [("MESSAGE_CREATE", 11), ("GUILD_DELETE", 12)]
    assert shell.attempts == [13]
    assert machine.record is not None and Scope.guild(GUILD) not in machine.record.scopes


def test_a_join_of_another_user_subscribes_nothing() -> None:
    shell = Shell(log=[joined(11, GUILD + 1, user=OTHER), message(12, guild=GUILD + 1)])
    resumed(shell)
    assert not [w for w in shell.writes if isinstance(w, Subscribe)]
    assert shell.sent == []


def test_a_connection_closed_during_the_replay_stops_it_where_the_client_is() -> None:
    shell = Shell(log=[message(11), message(12)], closed_at={0})
    machine = resumed(shell)
    assert shell.attempts == []  # never handed over: its next connection resumes it
    assert machine.outcome is Replay.CLOSED
    assert machine.answer is not None and machine.answer.s == 10


def test_a_connection_closed_before_ready_is_sent_stops_the_identify() -> None:
    machine = session()
    machine.identify(Identify("token"), user_id=USER, login=None, identified=False)
    machine.start(session_id="s1", head=10, guild_ids=[], dm_channel_ids=[], now_ms=NOW)
    shell = Shell(log=[message(11)], closed_at={0})
    shell.run(machine, machine.welcome(user={}, read_state=[], guilds=[], now_ms=NOW))
    assert shell.reads == []
    assert machine.outcome is Replay.CLOSED
    assert machine.answer is None  # IDENTIFY answers nothing of its own


# ---------------------------------------------------------------- the handoff


def test_a_handoff_the_fan_out_overtook_replays_on_and_never_twice() -> None:
    outcomes = iter([Handoff.OVERTAKEN, Handoff.LIVE])
    shell = Shell(
        log=[message(11), message(12)],
        handoffs=lambda _: next(outcomes),
        appends=[[message(13)]],
    )
    machine = resumed(shell)
    assert shell.attempts == [12, 13]
    assert shell.reads == [(10, 12), (12, 13)]
    assert shell.dispatched() == [
        ("MESSAGE_CREATE", 11),
        ("MESSAGE_CREATE", 12),
        ("MESSAGE_CREATE", 13),
    ]
    assert machine.answer is not None and machine.answer.s == 13
    assert machine.record is not None and machine.record.live_from == 14


def test_a_handoff_that_keeps_being_overtaken_ends_in_reconnect_at_the_deadline() -> None:
    """Each round takes 2 s of a 10 s deadline: the rounds that start by then are retried,
    then the client is sent RECONNECT; the session stays paused for the RESUME to hand over."""
    clock = iter(range(NOW, NOW + 10**9, 2_000))
    shell = Shell(log=[message(11)], handoffs=lambda _: Handoff.OVERTAKEN, clock=clock)
    machine = resumed(shell)
    # resume at NOW; each round reads and hands off (2 s each): rounds start at NOW, +4, +8 s
    assert len(shell.attempts) == 3
    assert shell.sent[-1] == Frame(Op.RECONNECT)
    assert shell.dispatched()[:-1] == [("MESSAGE_CREATE", 11)]  # replayed once, not per round
    assert machine.outcome is Replay.RECONNECT
    assert machine.record is not None and machine.record.live_from == PAUSED
    assert machine.answer is not None and machine.answer.s == 11


def test_a_longer_handoff_deadline_allows_more_rounds() -> None:
    clock = iter(range(NOW, NOW + 10**9, 2_000))
    shell = Shell(log=[message(11)], handoffs=lambda _: Handoff.OVERTAKEN, clock=clock)
    resumed(shell, timing=replace(TIMING, handoff_s=20.0))
    assert len(shell.attempts) == 6  # rounds start at NOW, +4, +8, +12, +16, +20 s


def test_a_session_that_moved_during_the_handoff_is_left_to_its_new_connection() -> None:
    shell = Shell(log=[message(11)], handoffs=lambda _: Handoff.SESSION_MOVED)
    machine = resumed(shell)
    assert shell.attempts == [11]
    assert machine.outcome is Replay.MOVED
    assert all(f.op is not Op.RECONNECT for f in shell.sent)


# ---------------------------------------------------------------- HEARTBEAT


def test_a_heartbeat_is_acknowledged_and_resets_only_an_identified_sessions_clock() -> None:
    machine = session()
    assert machine.heartbeat(Heartbeat(3), identified_as=(USER, "s1")) == [
        TouchHeartbeat(USER, "s1", "conn-b")
    ]
    assert machine.answer == Frame(Op.HEARTBEAT_ACK)
    anonymous = session()
    assert anonymous.heartbeat(Heartbeat(None), identified_as=None) == []
    assert anonymous.answer == Frame(Op.HEARTBEAT_ACK)


@pytest.mark.parametrize("d", [True, "1", 1.5, {}])
def test_a_heartbeat_carries_a_sequence_number_or_null(d: object) -> None:
    with pytest.raises(Invalid):
        Heartbeat.parse(d)


# ---------------------------------------------------------------- the sweeper's due


def live(connected_ms: int, last_heartbeat_ms: int) -> LiveSession:
    return stored(
        connection_id="conn-a",
        disconnected_ms=None,
        connected_ms=connected_ms,
        last_heartbeat_ms=last_heartbeat_ms,
    ).rules_view()


def due(session: LiveSession, now_ms: int, cap_s: float = 7_200.0) -> Due:
    return sweep_due(session, now_ms, heartbeat_interval_ms=40_000, cap_s=cap_s, margin_s=300.0)


def test_a_session_that_stopped_heartbeating_is_closed_even_near_the_cap() -> None:
    assert due(live(NOW - 7_199_000, NOW - 61_000), NOW) is Due.RECONNECT
    assert due(live(NOW - 7_199_000, NOW - 61_001), NOW) is Due.CLOSE
    assert due(live(NOW - 60_000, NOW - 61_001), NOW) is Due.CLOSE


def test_a_connection_within_the_margin_of_the_cap_is_sent_reconnect() -> None:
    assert due(live(NOW - 6_899_999, NOW), NOW) is Due.NOTHING
    assert due(live(NOW - 6_900_000, NOW), NOW) is Due.RECONNECT


def test_a_shortened_cap_shortens_the_margin_with_it() -> None:
    """A 60 s cap (tests) keeps a quarter of it, 15 s, as the margin, not 300 s."""
    assert due(live(NOW - 44_999, NOW), NOW, cap_s=60.0) is Due.NOTHING
    assert due(live(NOW - 45_000, NOW), NOW, cap_s=60.0) is Due.RECONNECT


def test_a_session_without_a_connection_is_due_nothing() -> None:
    detached = stored(last_heartbeat_ms=NOW - 10**7).rules_view()
    assert due(detached, NOW) is Due.NOTHING


# ---------------------------------------------------------------- sans-I/O


def test_the_session_imports_no_store_and_no_network_client() -> None:
    probe = (
        "import sys, shared.gateway.domain.session as s; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pynamodb', 'boto3', 'botocore', 'requests', 'urllib3', 'aws_lambda_powertools'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
