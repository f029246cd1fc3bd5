"""The gateway session: its rules, and the state machine of IDENTIFY, RESUME and the handoff.

No I/O here, in the manner of python-websockets' protocol objects: a :class:`GatewaySession` is
fed a client's frame, the current time and what its shell read (the session as a
:class:`SessionRecord`, log entries, the outcome of a write it asked for), and answers with
:data:`Command` values: frames to send and store writes to make. ``shared/gateway/commands.py``
is the shell that reads, runs the commands and feeds the session their outcomes.

Sequence numbers are positions in the gateway log: every dispatch of a log event carries its
position as ``s``, which only grows for a session. READY and GUILD_CREATE carry the position the
session started after; RESUMED the position the replay reached. A client keeps the highest ``s``
it has processed, sends it in HEARTBEAT and RESUME, and drops a log dispatch whose ``s`` is not
above it (the server may repeat one around a resume; it never skips one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Protocol

from shared.errors import Conflict, Invalid
from shared.gateway.domain.joins import joined_scope, left_scope
from shared.gateway.domain.log_events import LogEvent, Scope
from shared.gateway.domain.protocol import Frame, Op, dispatch_parts, parts_of
from shared.gateway.domain.registry import EVENTS
from shared.gateway.domain.registry import hears as declared_hears
from shared.outbox.domain.events import EventName
from shared.presence.domain.presence import Status, parse_status, wants_presences

__all__ = [
    "SESSION_EVENTS",
    "Attach",
    "Command",
    "CountConnected",
    "CreateSession",
    "Due",
    "GatewaySession",
    "GoLive",
    "Handoff",
    "Heard",
    "Heartbeat",
    "Identify",
    "Link",
    "LiveSession",
    "ReadLog",
    "Replay",
    "Resume",
    "ResumeVerdict",
    "Send",
    "SessionRecord",
    "Subscribe",
    "Timing",
    "TouchHeartbeat",
    "Unsubscribe",
    "hears",
    "is_new_dispatch",
    "is_paused",
    "needs_reconnect",
    "resume_verdict",
    "sweep_due",
]

#: Dispatches that belong to one session and are not in the log (their ``s`` is not unique).
SESSION_EVENTS = frozenset(t for t, spec in EVENTS.items() if spec.session_own)

#: ``live_from`` of a session whose replay is under way: live delivery waits for the handoff.
PAUSED = 2**62


@dataclass(frozen=True, slots=True)
class LiveSession:
    """What the rules need to know of a stored session."""

    session_id: str
    user_id: int
    connection_id: str | None
    started_after: int
    disconnected_ms: int | None
    connected_ms: int
    last_heartbeat_ms: int


class ResumeVerdict(Enum):
    RESUME = "resume"
    UNKNOWN = "unknown_session"
    NOT_YOURS = "not_your_session"
    EXPIRED = "session_expired"
    BAD_SEQ = "bad_sequence"


def resume_verdict(
    session: LiveSession | None,
    *,
    user_id: int,
    seq: int,
    head: int,
    oldest_kept: int,
    now_ms: int,
    window_ms: int,
) -> ResumeVerdict:
    """Whether a RESUME can replay exactly what the client missed.

    A session can be resumed while it is connected elsewhere (the client reconnected before the
    old connection's close was noticed) or within ``window_ms`` of its disconnection; ``seq``
    must lie between the session's start and the log head, and the log must still hold every
    position after it.
    """
    if session is None:
        return ResumeVerdict.UNKNOWN
    if session.user_id != user_id:
        return ResumeVerdict.NOT_YOURS
    if session.disconnected_ms is not None and now_ms - session.disconnected_ms > window_ms:
        return ResumeVerdict.EXPIRED
    if seq < session.started_after or seq > head:
        return ResumeVerdict.BAD_SEQ
    if seq + 1 < oldest_kept:
        return ResumeVerdict.EXPIRED
    return ResumeVerdict.RESUME


def needs_reconnect(connected_ms: int, now_ms: int, cap_ms: int, margin_ms: int) -> bool:
    """True once a connection is within ``margin_ms`` of API Gateway's connection cap."""
    return now_ms >= connected_ms + cap_ms - margin_ms


def heartbeat_overdue(last_heartbeat_ms: int, now_ms: int, interval_ms: int) -> bool:
    """A session that has not heartbeated for 1.5 intervals (and a grace second) is dead."""
    return now_ms - last_heartbeat_ms > interval_ms * 3 // 2 + 1_000


class Due(Enum):
    """What the sweeper owes a live session."""

    NOTHING = "nothing"
    CLOSE = "close"  # its heartbeats are overdue: close its connection, detach it
    RECONNECT = "reconnect"  # its connection nears API Gateway's cap: resume on a fresh one


def sweep_due(
    session: LiveSession, now_ms: int, *, heartbeat_interval_ms: int, cap_s: float, margin_s: float
) -> Due:
    """What a session with a connection is due at ``now_ms``: a close once its heartbeats are
    overdue (a RECONNECT would reach no one), else RECONNECT within ``margin_s`` of the
    connection cap ``cap_s``; a shortened cap (tests) shortens the margin with it."""
    if session.connection_id is None:
        return Due.NOTHING
    if heartbeat_overdue(session.last_heartbeat_ms, now_ms, heartbeat_interval_ms):
        return Due.CLOSE
    margin_ms = int(min(margin_s, cap_s / 4) * 1000)
    if needs_reconnect(session.connected_ms, now_ms, int(cap_s * 1000), margin_ms):
        return Due.RECONNECT
    return Due.NOTHING


def is_new_dispatch(t: str, s: int | None, last_s: int) -> bool:
    """The client's rule: process a dispatch unless it is a log event already processed."""
    if s is None or t in SESSION_EVENTS:
        return True
    return s > last_s


def is_paused(live_from: int) -> bool:
    """Whether a session's live delivery waits for its handoff (its replay is under way)."""
    return live_from == PAUSED


def hears(presences: bool, t: str) -> bool:
    """Whether a session receives events named ``t``: those an intent gates only if it asked
    for presences (the one intent a session keeps)."""
    return declared_hears(t, None if presences else 0)


# ---------------------------------------------------------------- what the shell reads


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored session, as plain values.

    ``shared/gateway/storage/sessions.py`` converts its item.
    """

    session_id: str
    user_id: int
    shard: int
    scopes: frozenset[str]
    connection_id: str | None
    domain_name: str | None
    stage: str | None
    live_from: int
    started_after: int
    connected_ms: int
    last_heartbeat_ms: int
    disconnected_ms: int | None = None
    #: False when IDENTIFY's intents left out GUILD_PRESENCES.
    presences: bool = True
    #: The login (access tokens' ``sid``) whose token identified or resumed it.
    login: str | None = None

    def hears(self, t: str) -> bool:
        """Whether the session receives events named ``t`` (presences only if it asked)."""
        return hears(self.presences, t)

    def rules_view(self) -> LiveSession:
        return LiveSession(
            session_id=self.session_id,
            user_id=self.user_id,
            connection_id=self.connection_id,
            started_after=self.started_after,
            disconnected_ms=self.disconnected_ms,
            connected_ms=self.connected_ms,
            last_heartbeat_ms=self.last_heartbeat_ms,
        )


@dataclass(frozen=True, slots=True)
class Link:
    """The connection a frame came on."""

    connection_id: str
    domain_name: str
    stage: str
    connected_ms: int


@dataclass(frozen=True, slots=True)
class Timing:
    """The settings the session's rules read."""

    heartbeat_interval_ms: int
    resume_window_s: int
    #: How long a replay may keep being overtaken by the fan-out before the client is sent
    #: RECONNECT.
    handoff_s: float
    #: How long a session item outlives its last write.
    session_ttl_s: int
    log_shards: int

    def __post_init__(self) -> None:
        if self.log_shards < 1:
            raise ValueError("the log has at least one shard")


class Logged(Protocol):
    """A log entry as the replay reads it (``shared.gateway.storage.gateway_log.LogEntry``)."""

    @property
    def position(self) -> int: ...

    @property
    def event(self) -> LogEvent: ...


@dataclass(frozen=True, slots=True)
class Heard:
    """A log entry as one session hears it (through its scopes, named for it)."""

    position: int
    event: LogEvent


# ---------------------------------------------------------------- what the client sends


@dataclass(frozen=True, slots=True)
class Identify:
    """IDENTIFY's payload; its token is checked by the shell, its presence by the session."""

    token: Any
    presence: Any = None
    intents: Any = None

    @classmethod
    def parse(cls, d: Any) -> Identify:
        if not isinstance(d, dict):
            raise Invalid("IDENTIFY takes an object.", code="invalid_payload")
        return cls(d.get("token"), d.get("presence"), d.get("intents"))


@dataclass(frozen=True, slots=True)
class Resume:
    """RESUME's payload: the session to resume and the last sequence number received."""

    session_id: str
    seq: int
    token: Any

    @classmethod
    def parse(cls, d: Any) -> Resume:
        if not isinstance(d, dict) or not isinstance(d.get("session_id"), str):
            raise Invalid("RESUME takes {token, session_id, seq}.", code="invalid_payload")
        seq = d.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise Invalid("seq is the last sequence number received.", code="invalid_payload")
        return cls(d["session_id"], seq, d.get("token"))


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """HEARTBEAT's payload: the last sequence number received, or null."""

    seq: int | None

    @classmethod
    def parse(cls, d: Any) -> Heartbeat:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int)):
            raise Invalid(
                "HEARTBEAT carries the last sequence number or null.", code="invalid_payload"
            )
        return cls(d)


# ---------------------------------------------------------------- what the shell runs


@dataclass(frozen=True, slots=True)
class Send:
    """Post frames to the connection, in order; report a closed one with
    :meth:`GatewaySession.closed` (and run none of the commands after this one)."""

    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class CountConnected:
    """Count the connection in its user's presence (as ``status``, or as they were)."""

    user_id: int
    connection_id: str
    status: Status | None = None


@dataclass(frozen=True, slots=True)
class CreateSession:
    """Write a new session (none may exist under its id), its subscriptions and its
    connection's link to it."""

    record: SessionRecord
    ttl_s: int


@dataclass(frozen=True, slots=True)
class Attach:
    """Move the stored session onto ``record``'s connection, paused, under its login."""

    record: SessionRecord
    ttl_s: int


@dataclass(frozen=True, slots=True)
class ReadLog:
    """Read the shard's head, then its entries after ``after`` up to it; give them to
    :meth:`GatewaySession.hear`."""

    shard: int
    after: int


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe the session to a scope (idempotent; a session gone meanwhile is left alone)."""

    scope: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Take a scope from the session (idempotent)."""

    scope: str


@dataclass(frozen=True, slots=True)
class GoLive:
    """Hand the session to live delivery from ``replayed_to + 1``, on condition that the log's
    delivery cursor is not past ``replayed_to`` and the session is still on this connection;
    give the :class:`Handoff` to :meth:`GatewaySession.handed_off`."""

    replayed_to: int


@dataclass(frozen=True, slots=True)
class TouchHeartbeat:
    """Reset the session's heartbeat clock, on condition that it is on this connection."""

    user_id: int
    session_id: str
    connection_id: str


Command = (
    Send
    | CountConnected
    | CreateSession
    | Attach
    | ReadLog
    | Subscribe
    | Unsubscribe
    | GoLive
    | TouchHeartbeat
)


class Handoff(Enum):
    """What the conditional handoff to live delivery found."""

    LIVE = "live"
    OVERTAKEN = "overtaken"  # the fan-out delivered past the replay: replay on, then try again
    SESSION_MOVED = "session_moved"  # the session left this connection: stop


class Replay(Enum):
    """How a session's replay ended (None while it is under way)."""

    LIVE = "live"  # handed to live delivery
    MOVED = "moved"  # the session left this connection: its next one resumes it
    CLOSED = "closed"  # the connection closed: its next one resumes from what it got
    RECONNECT = "reconnect"  # overtaken past the deadline: the client resumes elsewhere


def _dispatch(t: str, s: int, d: Any) -> Frame:
    return Frame(op=Op.DISPATCH, t=t, s=s, d=d)


# ---------------------------------------------------------------- the state machine


@dataclass
class GatewaySession:
    """One connection's gateway session, as one frame's handling moves it on.

    A new or resumed session starts paused: what it must receive first (READY and GUILD_CREATE,
    or the replay of what it missed) is sent, then the session is handed to the fan-out from
    the next log position, replaying on while the fan-out has already delivered past the
    replay. So a session never misses a log event and never receives one out of order.

    IDENTIFY: :meth:`identify`, :meth:`start` (a session id and the log's head), :meth:`welcome`
    (READY's and GUILD_CREATE's contents). RESUME: :meth:`resume`. Both then replay in rounds:
    :class:`ReadLog` → :meth:`hear` → (the shell keeps what the user may see of each channel's
    events) → :meth:`replay` → :class:`GoLive` → :meth:`handed_off`. A failed :class:`Send` is
    reported with :meth:`closed`. :attr:`answer` is the reply to the frame, once it is done.
    """

    link: Link
    timing: Timing
    #: The session as this connection knows it: the stored one with the writes asked for.
    record: SessionRecord | None = None
    #: The position the replay has sent up to.
    replayed_to: int = 0
    #: How the replay ended; None while it is under way (or before it began).
    outcome: Replay | None = None
    _user_id: int | None = None
    _login: str | None = None
    _presences: bool = True
    _resuming: bool = False
    #: The reply decided at once (INVALID_SESSION, HEARTBEAT_ACK), if any.
    _reply: Frame | None = None
    _guild_ids: tuple[int, ...] = ()
    #: The scopes the replay has met the user joining or leaving so far, applied or not.
    _scopes: set[str] = field(default_factory=set)
    _deadline_ms: float = 0.0
    _until: int = 0
    #: Where the round under way started: what the client has if its frames are not sent.
    _round_from: int = 0

    # ------------------------------------------------------------ IDENTIFY
    def identify(
        self, hello: Identify, *, user_id: int, login: str | None, identified: bool
    ) -> list[Command]:
        """IDENTIFY from ``user_id`` (whose token the shell checked), on a connection that
        already has a session if ``identified``. Counted in presence before READY (a client
        that has READY and closes its other connection never shows its user offline in
        between) and before the session (a failure here leaves none, so IDENTIFY can be
        retried; a connection counted without one leaves at $disconnect)."""
        status = parse_status(hello.presence) if hello.presence is not None else None
        self._presences = wants_presences(hello.intents)
        if identified:
            raise Conflict("This connection already has a session.", code="already_identified")
        self._user_id, self._login = user_id, login
        return [CountConnected(user_id, self.link.connection_id, status)]

    def shard(self, user_id: int) -> int:
        """The log shard of a user's new sessions."""
        return user_id % self.timing.log_shards

    def start(
        self,
        *,
        session_id: str,
        head: int,
        guild_ids: Sequence[int],
        dm_channel_ids: Iterable[int],
        now_ms: int,
    ) -> list[Command]:
        """The new session, paused, after the log's ``head`` at IDENTIFY: it hears the guilds
        and DMs its user is in, and the user's own events."""
        user_id = self._known_user()
        scopes = [Scope.guild(g) for g in guild_ids]
        scopes += [Scope.dm(c) for c in dm_channel_ids]
        scopes.append(Scope.user(user_id))
        self._guild_ids = tuple(guild_ids)
        self.record = SessionRecord(
            session_id=session_id,
            user_id=user_id,
            shard=self.shard(user_id),
            scopes=frozenset(scopes),
            connection_id=self.link.connection_id,
            domain_name=self.link.domain_name,
            stage=self.link.stage,
            live_from=PAUSED,
            started_after=head,
            connected_ms=self.link.connected_ms,
            last_heartbeat_ms=now_ms,
            presences=self._presences,
            login=self._login,
        )
        return [CreateSession(self.record, self.timing.session_ttl_s)]

    def welcome(
        self,
        *,
        user: Any,
        read_state: Any,
        guilds: Sequence[dict[str, Any]],
        now_ms: int,
    ) -> list[Command]:
        """READY, then one GUILD_CREATE per guild (``guilds``: their snapshots, in the order of
        :meth:`start`'s ``guild_ids``; in parts if too big for a frame), then the replay of
        what the log gained meanwhile."""
        record = self._known_record()
        ready = _dispatch(
            EventName.READY,
            record.started_after,
            {
                "v": 1,
                "session_id": record.session_id,
                "user": user,
                "guilds": [str(g) for g in self._guild_ids],
                "heartbeat_interval": self.timing.heartbeat_interval_ms,
                "resume_window": self.timing.resume_window_s,
                "read_state": read_state,
            },
        )
        frames = [ready]
        for snapshot in guilds:
            if not record.presences:
                snapshot = {k: v for k, v in snapshot.items() if k != "presences"}
            frames += [
                _dispatch(EventName.GUILD_CREATE, record.started_after, p)
                for p in parts_of(snapshot)
            ]
        return [Send(tuple(frames)), *self._begin(record.started_after, now_ms)]

    # ------------------------------------------------------------ RESUME
    def resume(
        self,
        ask: Resume,
        *,
        user_id: int,
        login: str | None,
        stored: SessionRecord | None,
        head: int,
        oldest_kept: int,
        now_ms: int,
    ) -> list[Command]:
        """RESUME by ``user_id`` of ``stored`` (None: not found), with the log's ``head`` and
        oldest kept position on the session's shard: its replay, then RESUMED; or, when it
        cannot replay exactly what the client missed, INVALID_SESSION (``d = false``)."""
        self._resuming = True
        verdict = resume_verdict(
            stored.rules_view() if stored is not None else None,
            user_id=user_id,
            seq=ask.seq,
            head=head,
            oldest_kept=oldest_kept,
            now_ms=now_ms,
            window_ms=self.timing.resume_window_s * 1000,
        )
        if verdict is not ResumeVerdict.RESUME or stored is None:
            self._reply = Frame(op=Op.INVALID_SESSION, d=False)
            return []
        self._user_id, self._login = user_id, login
        self.record = replace(
            stored,
            connection_id=self.link.connection_id,
            domain_name=self.link.domain_name,
            stage=self.link.stage,
            live_from=PAUSED,
            connected_ms=self.link.connected_ms,
            last_heartbeat_ms=now_ms,
            disconnected_ms=None,
            login=login,
        )
        return [
            Attach(self.record, self.timing.session_ttl_s),
            CountConnected(user_id, self.link.connection_id),
            *self._begin(ask.seq, now_ms),
        ]

    # ------------------------------------------------------------ HEARTBEAT
    def heartbeat(self, beat: Heartbeat, *, identified_as: tuple[int, str] | None) -> list[Command]:
        """HEARTBEAT on a connection whose session is ``(user_id, session_id)`` (None: it has
        none): acknowledged; an identified session's heartbeat clock is reset."""
        self._reply = Frame(op=Op.HEARTBEAT_ACK)
        if identified_as is None:
            return []
        user_id, session_id = identified_as
        return [TouchHeartbeat(user_id, session_id, self.link.connection_id)]

    # ------------------------------------------------------------ the replay
    def _begin(self, after: int, now_ms: int) -> list[Command]:
        record = self._known_record()
        self.replayed_to = self._round_from = after
        self._scopes = set(record.scopes)
        self._deadline_ms = now_ms + self.timing.handoff_s * 1000
        return self._round(now_ms)

    def _round(self, now_ms: int) -> list[Command]:
        if now_ms > self._deadline_ms:
            # A session left paused behind an open connection would hear nothing, ever: the
            # client resumes from what it has on a new connection.
            self.outcome = Replay.RECONNECT
            return [Send((Frame(op=Op.RECONNECT),))]
        return [ReadLog(self._known_record().shard, self.replayed_to)]

    def hear(self, entries: Iterable[Logged], until: int) -> list[Heard]:
        """The entries after :attr:`replayed_to` up to ``until`` (the log's head when read)
        that this session hears: those of its scopes, of the events it asked for. A DM or guild
        the user joins on the way is added to its scopes, a guild they leave taken out (see
        ``shared/gateway/domain/joins.py``).
        The shell then keeps, of a channel's event, what the user
        may see of it (whole, without what they lack, hidden, or nothing), and gives the rest
        to :meth:`replay`."""
        record = self._known_record()
        self._until = until
        heard = []
        for entry in entries:
            joined = joined_scope(entry.event)
            if joined is not None and joined[0] == record.user_id:
                self._scopes.add(joined[1])
            left = left_scope(entry.event)
            if left is not None and left[0] == record.user_id:
                # nothing later of the guild (its GUILD_DELETE is theirs)
                self._scopes.discard(left[1])
            event = entry.event.for_session(self._scopes)
            if event is not None and record.hears(event.t):
                heard.append(Heard(entry.position, event))
        return heard

    def replay(self, told: Iterable[Logged], now_ms: int) -> list[Command]:
        """Send what the session is told of the round's entries, subscribe it to the scopes the
        round joined (before live delivery can start), then hand it over.

        A round that subscribes the session to a scope replays once more before the handoff
        (decision 14): a fan-out batch that read the scope's subscribers before this
        subscription did not see the session paused, so it left the cursor alone; its entries
        are in the log by now, and the next round replays them."""
        record = self._known_record()
        frames = tuple(
            _dispatch(e.event.t, e.position, d)
            for e in told
            for d in dispatch_parts(e.event.t, e.event.d)
        )
        commands: list[Command] = [Send(frames)] if frames else []
        joined = self._scopes - record.scopes
        commands += [Subscribe(scope) for scope in sorted(joined)]
        commands += [Unsubscribe(scope) for scope in sorted(record.scopes - self._scopes)]
        self.record = replace(record, scopes=frozenset(self._scopes))
        self._round_from, self.replayed_to = self.replayed_to, self._until
        if joined:
            return commands + self._round(now_ms)
        return [*commands, GoLive(self._until)]

    def handed_off(self, handoff: Handoff, now_ms: int) -> list[Command]:
        """The handoff's outcome. It fails only when the fan-out has started delivering
        entries after the replay's end (its cursor, not the log's head: appends the fan-out has
        not reached come live); the session then replays on, until :attr:`Timing.handoff_s`
        has passed, when the client is sent RECONNECT."""
        record = self._known_record()
        if handoff is Handoff.LIVE:
            self.record = replace(record, live_from=self.replayed_to + 1)
            self.outcome = Replay.LIVE
            return []
        if handoff is Handoff.SESSION_MOVED:
            self.outcome = Replay.MOVED
            return []
        return self._round(now_ms)

    def closed(self) -> list[Command]:
        """A :class:`Send` found the connection closed: nothing more is sent (the session's
        next connection resumes it from what it got)."""
        if self.outcome is None:  # not the RECONNECT, sent after a round was
            self.outcome = Replay.CLOSED
            self.replayed_to = self._round_from
        return []

    @property
    def answer(self) -> Frame | None:
        """The reply to the frame: INVALID_SESSION to a RESUME that cannot be, RESUMED (at the
        position the replay reached) to one that was, HEARTBEAT_ACK to a HEARTBEAT; nothing to
        the others."""
        if self._reply is not None:
            return self._reply
        if self._resuming and self.outcome is not None and self.record is not None:
            return _dispatch(
                EventName.RESUMED, self.replayed_to, {"session_id": self.record.session_id}
            )
        return None

    def _known_user(self) -> int:
        if self._user_id is None:
            raise RuntimeError("no IDENTIFY or RESUME was accepted")
        return self._user_id

    def _known_record(self) -> SessionRecord:
        if self.record is None:
            raise RuntimeError("the session has not started")
        return self.record
