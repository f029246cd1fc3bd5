"""Connections coming and going, and the sweeper that keeps sessions honest.

``$connect`` records who a connection belongs to; ``$disconnect`` detaches its session, which
stays resumable for the resume window. The sweeper (run every minute by a schedule) closes the
connections of sessions that stopped heartbeating, and sends RECONNECT to those nearing API
Gateway's two-hour cap, so that clients resume on a fresh connection before they are cut.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from shared.config import get_settings
from shared.gateway.connections import ConnectionGone, management_client, post_frame
from shared.gateway.protocol import Frame, Op
from shared.gateway.session import heartbeat_overdue, needs_reconnect
from shared.observability import logger
from shared.services import presence
from shared.storage import sessions

__all__ = ["SweepReport", "connected", "disconnected", "sweep"]


def connected(connection_id: str, user_id: int) -> None:
    settings = get_settings()
    sessions.record_connection(connection_id, user_id, int(settings.gateway_max_connection_s) + 60)


def disconnected(connection_id: str) -> None:
    connection = sessions.get_connection(connection_id)
    if connection is None:
        return
    if connection.session_id is not None:
        sessions.detach(
            connection.user_id,
            connection.session_id,
            connection_id,
            get_settings().resume_window_s + 60,
        )
    # Forgotten first: an IDENTIFY still under way then cannot count this connection after
    # presence has let it go (presence.connected checks the connection item in its write).
    sessions.forget_connection(connection_id)
    presence.disconnected(connection.user_id, connection_id)


@dataclass
class SweepReport:
    checked: int = 0
    closed: int = 0
    reconnects: int = 0


def sweep(now_ms: int | None = None) -> SweepReport:
    """One pass over every live session of every shard."""
    settings = get_settings()
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    cap_ms = int(settings.gateway_max_connection_s * 1000)
    # A shortened cap (tests) shortens the margin with it.
    margin_s = min(settings.gateway_reconnect_margin_s, settings.gateway_max_connection_s / 4)
    margin_ms = int(margin_s * 1000)
    report = SweepReport()
    for shard in range(settings.gateway_log_shards):
        for session in sessions.live_sessions(shard):
            report.checked += 1
            connection_id = session.connection_id
            if connection_id is None or session.domain_name is None or session.stage is None:
                continue
            if heartbeat_overdue(
                int(session.last_heartbeat_ms), now, settings.heartbeat_interval_ms
            ):
                client = management_client(session.domain_name, session.stage)
                with contextlib.suppress(client.exceptions.GoneException):
                    client.delete_connection(ConnectionId=connection_id)
                sessions.detach(
                    int(session.user_id),
                    session.session_id,
                    connection_id,
                    settings.resume_window_s + 60,
                )
                presence.disconnected(int(session.user_id), connection_id)
                report.closed += 1
            elif needs_reconnect(int(session.connected_ms), now, cap_ms, margin_ms):
                try:
                    post_frame(
                        session.domain_name, session.stage, connection_id, Frame(op=Op.RECONNECT)
                    )
                    report.reconnects += 1
                except ConnectionGone:
                    sessions.detach(
                        int(session.user_id),
                        session.session_id,
                        connection_id,
                        settings.resume_window_s + 60,
                    )
                    presence.disconnected(int(session.user_id), connection_id)
    if report.closed or report.reconnects:
        logger.info("sweep", extra=report.__dict__)
    return report
