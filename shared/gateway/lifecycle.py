"""Connections coming and going, and the sweeper that keeps sessions honest.

``$connect`` records who a connection belongs to; ``$disconnect`` detaches its session, which
stays resumable for the resume window. The sweeper (run every minute by a schedule) closes the
connections of sessions that stopped heartbeating, and sends RECONNECT to those nearing API
Gateway's two-hour cap, so that clients resume on a fresh connection before they are cut.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.config import get_settings
from shared.gateway.connections import ConnectionGone, close_connection, post_frame
from shared.gateway.domain.protocol import Frame, Op
from shared.gateway.domain.session import Due, sweep_due
from shared.gateway.storage import sessions
from shared.observability import logger
from shared.presence import presence

__all__ = ["SweepReport", "connected", "disconnected", "sweep"]


def connected(connection_id: str, user_id: int) -> None:
    settings = get_settings()
    sessions.record_connection(connection_id, user_id, int(settings.gateway_max_connection_s) + 60)


def disconnected(connection_id: str) -> None:
    """$disconnect: the connection is forgotten, presence lets it go, its session is detached.

    In that order. Forgotten first: an IDENTIFY still under way then cannot count this
    connection after presence has let it go (presence.connected checks the connection item in
    its write). Detached last: until then the session is live on this connection, so if this
    invocation fails part way (or API Gateway never sends the $disconnect: it is best effort),
    the sweeper finds the session's heartbeats overdue and finishes the job; a session detached
    first would leave the user counted online with nothing left to find them by.
    """
    connection = sessions.get_connection(connection_id)
    if connection is None:
        return
    sessions.forget_connection(connection_id)
    presence.disconnected(connection.user_id, connection_id)
    if connection.session_id is not None:
        sessions.detach(
            connection.user_id,
            connection.session_id,
            connection_id,
            get_settings().resume_window_s + 60,
        )


@dataclass
class SweepReport:
    checked: int = 0
    closed: int = 0
    reconnects: int = 0
    failed: int = 0


def _close_out(session: sessions.SessionItem, connection_id: str) -> None:
    """A live session's connection is gone: presence first, the session detached last, so a
    failure in between leaves the session for the next sweep to find."""
    presence.disconnected(int(session.user_id), connection_id)
    sessions.detach(
        int(session.user_id),
        session.session_id,
        connection_id,
        get_settings().resume_window_s + 60,
    )


def _sweep_one(session: sessions.SessionItem, now: int, report: SweepReport) -> None:
    settings = get_settings()
    connection_id = session.connection_id
    if connection_id is None or session.domain_name is None or session.stage is None:
        return
    due = sweep_due(
        session.record().rules_view(),
        now,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        cap_s=settings.gateway_max_connection_s,
        margin_s=settings.gateway_reconnect_margin_s,
    )
    if due is Due.CLOSE:
        close_connection(session.domain_name, session.stage, connection_id)
        _close_out(session, connection_id)
        report.closed += 1
    elif due is Due.RECONNECT:
        try:
            post_frame(session.domain_name, session.stage, connection_id, Frame(op=Op.RECONNECT))
            report.reconnects += 1
        except ConnectionGone:
            _close_out(session, connection_id)


def sweep(now_ms: int | None = None) -> SweepReport:
    """One pass over every live session of every shard. A session that fails is logged and
    left live for the next pass; the others are still swept."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    report = SweepReport()
    for shard in range(get_settings().gateway_log_shards):
        for session in sessions.live_sessions(shard):
            report.checked += 1
            try:
                _sweep_one(session, now, report)
            except Exception:  # one session's failure must not stop the sweep of the rest
                logger.exception("sweeping a session failed", extra={"session": session.session_id})
                report.failed += 1
    if report.closed or report.reconnects or report.failed:
        logger.info("sweep", extra=report.__dict__)
    return report
