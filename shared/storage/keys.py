"""Every PK/SK string of the single table is built here and nowhere else.

See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

#: The item the health check reads: a GetItem proves the table answers.
HEALTH_PK = "HEALTH"


def connection_pk(connection_id: str) -> str:
    """A gateway connection's own item."""
    return f"CONN#{connection_id}"


def connection_sk() -> str:
    """The sort key of a connection's own item."""
    return "CONN"


# ---------------------------------------------------------------- gateway
def outbox_pk(event_id: int) -> str:
    """An event a change emits, written in the change's own transaction."""
    return f"OUTBOX#{event_id}"


OUTBOX_SK = "OUTBOX"


def log_pk(shard: int) -> str:
    """One gateway log: every event its sessions may receive, in sequence order."""
    return f"GWLOG#{shard}"


LOG_HEAD_SK = "HEAD"


def log_sk(position: int) -> str:
    return f"POS#{position:016d}"


def log_position(sk: str) -> int:
    return int(sk.removeprefix("POS#"))


def session_pk(user_id: int) -> str:
    """A user's gateway sessions live under the user (a Query lists them)."""
    return f"USER#{user_id}"


def session_sk(session_id: str) -> str:
    return f"SESSION#{session_id}"


SESSION_SK_PREFIX = "SESSION#"


def live_sessions_gsi1pk(shard: int) -> str:
    """GSI1 partition of the sessions with a live connection on one log shard (the sweeper's)."""
    return f"LIVE#{shard}"


def subscription_pk(scope: str) -> str:
    """Who listens to a scope: one item per (scope, session)."""
    return f"SUB#{scope}"


def subscription_sk(shard: int, session_id: str) -> str:
    return f"{shard}#{session_id}"


def subscription_sk_prefix(shard: int) -> str:
    return f"{shard}#"
