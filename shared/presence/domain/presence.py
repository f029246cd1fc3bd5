"""Presence: what others see of a user's status, aggregated over the user's connections.

Pure. A user's presence is the status they chose (remembered across their sessions) and the set
of gateway connections that carry an identified session. Others see ``offline`` when that set is
empty or when the chosen status is ``invisible``; otherwise the chosen status. Only a change of
that *visible* status is worth an event.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from shared.errors import Invalid
from shared.outbox.domain.events import EventName, GatewayEvent

__all__ = [
    "GUILD_PRESENCES",
    "OFFLINE",
    "Presence",
    "Status",
    "parse_status",
    "presence_event",
    "wants_presences",
]

#: What others see of a user with no connection (or an invisible one). Never a chosen status.
OFFLINE = "offline"
#: The IDENTIFY intent (Discord's bit) without which a session hears no presences.
GUILD_PRESENCES = 1 << 8


def wants_presences(intents: Any) -> bool:
    """Whether a session identified with ``intents`` hears presences: without ``intents`` it
    does; with them, only if they hold GUILD_PRESENCES. :class:`Invalid` for a non-integer.

    A session that does not need presences (a bot, a benchmark's subscribers) spares the gateway
    a delivery per member whenever anyone in its guilds comes or goes."""
    if intents is None:
        return True
    if isinstance(intents, bool) or not isinstance(intents, int) or intents < 0:
        raise Invalid("intents is a non-negative integer (a bit set).", code="invalid_payload")
    return bool(intents & GUILD_PRESENCES)


class Status(enum.StrEnum):
    """The statuses a user may choose (op 3 and IDENTIFY's ``presence``)."""

    ONLINE = "online"
    IDLE = "idle"
    DND = "dnd"
    INVISIBLE = "invisible"


def parse_status(d: Any) -> Status:
    """The status of a ``{"status": ...}`` payload; :class:`Invalid` for anything else."""
    if not isinstance(d, dict) or not isinstance(d.get("status"), str):
        raise Invalid(
            "A presence is {status}.",
            code="invalid_payload",
            errors={"status": "one of online, idle, dnd, invisible"},
        )
    try:
        return Status(d["status"])
    except ValueError as exc:
        raise Invalid(
            f"Unknown status {d['status']!r}.",
            code="invalid_status",
            errors={"status": "one of online, idle, dnd, invisible"},
        ) from exc


@dataclass(frozen=True, slots=True)
class Presence:
    """One user's presence: the chosen status and the connections that carry a session."""

    status: Status = Status.ONLINE
    connections: frozenset[str] = field(default_factory=frozenset)

    @property
    def visible(self) -> str:
        """What everyone else sees."""
        if not self.connections or self.status is Status.INVISIBLE:
            return OFFLINE
        return str(self.status)

    def connect(self, connection_id: str, status: Status | None = None) -> Presence:
        """A connection identified (or resumed); ``status``, when given, is chosen with it."""
        return replace(
            self,
            status=status if status is not None else self.status,
            connections=self.connections | {connection_id},
        )

    def disconnect(self, connection_id: str) -> Presence:
        """A connection closed (twice is the same as once)."""
        return replace(self, connections=self.connections - {connection_id})

    def choose(self, status: Status) -> Presence:
        return replace(self, status=status)


def presence_event(user_id: int, visible: str, guild_ids: Iterable[int]) -> GatewayEvent | None:
    """PRESENCE_UPDATE for everyone who shares a guild with the user: one user-level event that
    the fan-out delivers to each of those guilds' sessions once (None: the user has no guild)."""
    guilds = tuple(sorted(set(guild_ids)))
    if not guilds:
        return None
    return GatewayEvent(
        EventName.PRESENCE_UPDATE,
        None,
        {"user": {"id": str(user_id)}, "status": visible},
        user_id=user_id,
        guild_ids=guilds,
    )
