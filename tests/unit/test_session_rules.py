"""The gateway session's rules: resume verdicts, reconnect timing, heartbeats, the client rule."""

from __future__ import annotations

import pytest

from shared.gateway.domain.session import (
    LiveSession,
    ResumeVerdict,
    heartbeat_overdue,
    is_new_dispatch,
    needs_reconnect,
    resume_verdict,
)

WINDOW = 300_000
NOW = 10_000_000


def session(
    *, user: int = 1, started_after: int = 10, disconnected: int | None = None
) -> LiveSession:
    return LiveSession(
        session_id="s",
        user_id=user,
        connection_id=None if disconnected else "c",
        started_after=started_after,
        disconnected_ms=disconnected,
        connected_ms=NOW - 1000,
        last_heartbeat_ms=NOW - 1000,
    )


@pytest.mark.parametrize(
    ("stored", "user", "seq", "head", "oldest", "verdict"),
    [
        (session(), 1, 10, 20, 1, ResumeVerdict.RESUME),  # nothing received yet after READY
        (session(), 1, 20, 20, 1, ResumeVerdict.RESUME),  # nothing missed
        (session(disconnected=NOW - WINDOW), 1, 15, 20, 1, ResumeVerdict.RESUME),  # at the edge
        (session(disconnected=NOW - WINDOW - 1), 1, 15, 20, 1, ResumeVerdict.EXPIRED),
        (None, 1, 15, 20, 1, ResumeVerdict.UNKNOWN),
        (session(), 2, 15, 20, 1, ResumeVerdict.NOT_YOURS),
        (session(), 1, 9, 20, 1, ResumeVerdict.BAD_SEQ),  # before the session began
        (session(), 1, 21, 20, 1, ResumeVerdict.BAD_SEQ),  # beyond the log
        (session(), 1, 15, 20, 16, ResumeVerdict.RESUME),  # the next one is still kept
        (session(), 1, 15, 20, 17, ResumeVerdict.EXPIRED),  # position 16 is gone
    ],
)
def test_resume_verdicts(
    stored: LiveSession | None, user: int, seq: int, head: int, oldest: int, verdict: ResumeVerdict
) -> None:
    got = resume_verdict(
        stored, user_id=user, seq=seq, head=head, oldest_kept=oldest, now_ms=NOW, window_ms=WINDOW
    )
    assert got is verdict


def test_reconnect_is_due_within_the_margin_of_the_cap() -> None:
    cap, margin = 7_200_000, 300_000
    assert not needs_reconnect(0, cap - margin - 1, cap, margin)
    assert needs_reconnect(0, cap - margin, cap, margin)


def test_heartbeat_is_overdue_after_one_and_a_half_intervals_and_a_second() -> None:
    interval = 40_000
    assert not heartbeat_overdue(0, 61_000, interval)
    assert heartbeat_overdue(0, 61_001, interval)


@pytest.mark.parametrize(
    ("t", "s", "last", "new"),
    [
        ("MESSAGE_CREATE", 11, 10, True),
        ("MESSAGE_CREATE", 10, 10, False),  # a repeat around a resume
        ("MESSAGE_CREATE", 9, 10, False),
        ("READY", 10, 10, True),
        ("GUILD_CREATE", 10, 10, True),
        ("RESUMED", 10, 10, True),
        ("MESSAGE_CREATE", None, 10, True),
    ],
)
def test_the_clients_rule(t: str, s: int | None, last: int, new: bool) -> None:
    assert is_new_dispatch(t, s, last) is new
