"""The gateway session's rules, as plain functions over plain values (no I/O).

Sequence numbers are positions in the gateway log: every dispatch of a log event carries its
position as ``s``, which only grows for a session. READY and GUILD_CREATE carry the position the
session started after; RESUMED the position the replay reached. A client keeps the highest ``s``
it has processed, sends it in HEARTBEAT and RESUME, and drops a log dispatch whose ``s`` is not
above it (the server may repeat one around a resume; it never skips one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.gateway.registry import EVENTS

__all__ = [
    "SESSION_EVENTS",
    "LiveSession",
    "ResumeVerdict",
    "is_new_dispatch",
    "needs_reconnect",
    "resume_verdict",
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


def is_new_dispatch(t: str, s: int | None, last_s: int) -> bool:
    """The client's rule: process a dispatch unless it is a log event already processed."""
    if s is None or t in SESSION_EVENTS:
        return True
    return s > last_s
