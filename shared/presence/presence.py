"""Presence commands: a session identified or resumed, a connection closed, a status chosen.

Each reads the user's one presence item, applies the pure rule of
``shared.presence.domain.presence`` and writes it back on the version it read, with a
PRESENCE_UPDATE when what others see changes. The event is one user-level outbox item naming the
user's guilds (read from the membership index: bounded by the user's guilds, never by any guild's
size); the fan-out delivers it to each of those guilds' sessions once (docs/decisions.md,
"Presence").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random

from shared.config import get_settings
from shared.guilds.storage import members
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit, enforce
from shared.presence.domain.presence import OFFLINE, Presence, Status, presence_event
from shared.presence.storage import presence as store
from shared.presence.storage.presence import ConnectionClosed
from shared.table.transaction import StaleWrite

__all__ = [
    "PRESENCE_PER_USER",
    "choose",
    "connected",
    "disconnected",
    "presences_of",
    "visible_statuses",
]

#: Status changes (op 3) a user may make, across all their sessions.
PRESENCE_PER_USER = Limit(
    "gateway.presence", lambda: Rate.parse(get_settings().rate_presence_per_user)
)
#: The guilds a presence is announced to: as many as a session subscribes to.
MAX_GUILDS = 200


@retry(
    retry=retry_if_exception_type(StaleWrite),
    stop=stop_after_attempt(10),
    wait=wait_random(0, 0.05),
    reraise=True,
)
def _apply(
    user_id: int, change: Callable[[Presence], Presence], open_connection: str | None = None
) -> Presence:
    """Read, change, write on the version read; again from the read when someone wrote first."""
    current, version = store.read(user_id)
    new = change(current)
    if new == current:
        return new
    event = None
    if new.visible != current.visible:
        guilds = members.guild_ids_of(user_id, after=0, before=None, limit=MAX_GUILDS)
        event = presence_event(user_id, new.visible, guilds)
    store.write(user_id, new, version, event, open_connection=open_connection)
    return new


def connected(user_id: int, connection_id: str, status: Status | None = None) -> None:
    """A session identified (or resumed) on this connection: the user is online (or ``status``).

    Counted only while the connection is open, so a $disconnect that ran first wins."""
    try:
        _apply(user_id, lambda p: p.connect(connection_id, status), open_connection=connection_id)
    except ConnectionClosed:
        return


def disconnected(user_id: int, connection_id: str) -> None:
    """A connection closed ($disconnect, the sweeper, a 410): offline if it was the last."""
    _apply(user_id, lambda p: p.disconnect(connection_id))


def choose(user_id: int, status: Status) -> None:
    """op 3: the user's chosen status, for all their sessions (rate limited per user)."""
    enforce([(PRESENCE_PER_USER, f"user:{user_id}")])
    _apply(user_id, lambda p: p.choose(status))


def visible_statuses(user_ids: Iterable[int]) -> dict[int, str]:
    """What others see of these users, for those who are not offline (GUILD_CREATE)."""
    return {
        user_id: presence.visible
        for user_id, presence in store.read_many(user_ids).items()
        if presence.visible != OFFLINE
    }


def presences_of(user_ids: Iterable[int]) -> list[dict[str, Any]]:
    """GUILD_CREATE's ``presences``: ``{"user": {"id"}, "status"}`` of those not offline."""
    return [
        {"user": {"id": str(user_id)}, "status": status}
        for user_id, status in sorted(visible_statuses(user_ids).items())
    ]
