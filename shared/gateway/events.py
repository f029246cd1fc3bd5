"""Events as the gateway log holds them: a name, a payload, who may receive them.

A domain change that clients must hear about writes an outbox item in its own transaction
(``shared/storage/outbox.py``, from a ``shared.domain.events.GatewayEvent``); the fan-out turns
each into a :class:`LogEvent`, appends it to the gateway log, and delivers it to the sessions
subscribed to its scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["LogEvent", "Scope"]


class Scope:
    """Who may receive an event: everyone in a guild, the members of a DM, one user, one session."""

    @staticmethod
    def guild(guild_id: int) -> str:
        return f"guild:{guild_id}"

    @staticmethod
    def dm(channel_id: int) -> str:
        return f"dm:{channel_id}"

    @staticmethod
    def user(user_id: int) -> str:
        return f"user:{user_id}"

    @staticmethod
    def guild_of(scope: str) -> int | None:
        kind, _, ident = scope.partition(":")
        return int(ident) if kind == "guild" else None


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One DISPATCH to be: its name, payload, scope and (if channel-bound) channel.

    ``channel_id`` set means only members who may VIEW_CHANNEL it receive the event.
    """

    t: str
    d: Any
    scope: str
    channel_id: int | None = None

    def __post_init__(self) -> None:
        if not self.t or not self.t.isupper():
            raise ValueError(f"event names are upper case: {self.t!r}")
        if ":" not in self.scope:
            raise ValueError(f"not a scope: {self.scope!r}")

    def payload_json(self) -> str:
        return json.dumps(self.d, separators=(",", ":"), ensure_ascii=False)

    @property
    def guild_id(self) -> int | None:
        return Scope.guild_of(self.scope)
