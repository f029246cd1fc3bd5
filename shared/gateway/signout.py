"""Closing the gateway connections of a login, or of every login of a user, when it ends.

A session remembers the login whose access token identified it (``SessionItem.login``); the
connections to close are those of the user's sessions (one Query under the user) that are live
on a connection and, for one login, belong to it. Each is closed through @connections DELETE,
as API Gateway's own; its ``$disconnect`` then detaches the session as for any close, and the
session cannot be resumed with the ended login's tokens (the gateway refuses them).

A connection that has not identified yet has no session and receives nothing; its IDENTIFY
with an ended login's token is refused.
"""

from __future__ import annotations

from shared.gateway.connections import close_connection
from shared.gateway.storage import sessions
from shared.observability import logger

__all__ = ["close_connections"]


def close_connections(user_id: int, login: str | None = None) -> int:
    """Close the user's gateway connections (of one login, or all); how many were open."""
    closed = 0
    for session in sessions.user_sessions(user_id):
        if login is not None and session.login != login:
            continue
        if session.connection_id is None or session.domain_name is None or session.stage is None:
            continue
        close_connection(session.domain_name, session.stage, session.connection_id)
        closed += 1
    if closed:
        logger.info("signed-out connections closed", extra={"user_id": user_id, "closed": closed})
    return closed
