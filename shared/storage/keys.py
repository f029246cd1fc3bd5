"""Every PK/SK string of the single table is built here and nowhere else.

See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

__all__ = [
    "HEALTH_PK",
    "connection_pk",
    "connection_sk",
    "email_claim_key",
    "identity_key",
    "oidc_state_key",
    "rate_bucket_key",
    "refresh_family_key",
    "user_key",
    "username_claim_key",
]

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


# ---------------------------------------------------------------- accounts and auth


def user_key(user_id: int) -> tuple[str, str]:
    """A user's own item (profile, password hash)."""
    return f"USER#{user_id}", "PROFILE"


def username_claim_key(username_folded: str) -> tuple[str, str]:
    """The item that reserves a username, case-insensitively (its value: the user id)."""
    return f"USERNAME#{username_folded}", "USERNAME"


def email_claim_key(email_folded: str) -> tuple[str, str]:
    """The item that reserves an email address, case-insensitively."""
    return f"EMAIL#{email_folded}", "EMAIL"


def identity_key(issuer: str, subject: str) -> tuple[str, str]:
    """An OpenID identity (issuer + sub) linked to a user."""
    return f"IDENTITY#{issuer}#{subject}", "IDENTITY"


def refresh_family_key(family: str) -> tuple[str, str]:
    """A refresh token family: the hash of its current token, its user, revoked or not."""
    return f"REFRESH#{family}", "FAMILY"


def oidc_state_key(state: str) -> tuple[str, str]:
    """A pending OpenID login (PKCE verifier, nonce), deleted when the callback uses it."""
    return f"OIDCSTATE#{state}", "STATE"


def rate_bucket_key(bucket: str, subject: str) -> tuple[str, str]:
    """One token bucket of the rate limiter: a limit's name and whom it counts."""
    return f"RATE#{bucket}#{subject}", "BUCKET"
