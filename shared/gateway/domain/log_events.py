"""Events as the gateway log holds them: a name, a payload, who may receive them.

A domain change that clients must hear about writes an outbox item in its own transaction
(``shared/outbox/storage/outbox.py``, from a ``shared.outbox.domain.events.GatewayEvent``); the
fan-out turns each into a :class:`LogEvent`, appends it to the gateway log, and delivers it to the
sessions subscribed to its scope.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any

from shared.gateway.domain.registry import EventSpec, spec_of
from shared.guilds.domain.permissions import Permission

__all__ = ["MOVED_TO", "LogEvent", "Scope"]

#: In the ``d`` of a voice leave that is half of a move: the channel moved to. Those who may view
#: that channel do not receive the leave (they receive the new state); nobody receives the key.
MOVED_TO = "moved_to"


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

    @staticmethod
    def guilds(guild_ids: Iterable[int]) -> str:
        """Every session of several guilds, each once (a user-level event such as a presence)."""
        return "guilds:" + ",".join(str(g) for g in sorted(set(guild_ids)))

    @staticmethod
    def expand(scope: str) -> list[str]:
        """The single scopes a scope stands for (itself, unless it names several guilds)."""
        kind, _, idents = scope.partition(":")
        if kind != "guilds":
            return [scope]
        return [Scope.guild(int(g)) for g in idents.split(",") if g]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One DISPATCH to be: its name, payload, scope and (if channel-bound) channel.

    ``channel_id`` set means only members who may VIEW_CHANNEL it receive the event (and of
    some events, only those who hold more receive them whole: :attr:`needs`); only an event
    its declaration (``shared/gateway/domain/registry.py``) says is channel-bound has one.
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
        if self.channel_id is not None and self.spec is not None and not self.spec.channel_bound:
            raise ValueError(f"{self.t} is not bound to a channel")

    @property
    def spec(self) -> EventSpec | None:
        """The event's declaration (None: a name this code does not know)."""
        return spec_of(self.t)

    def payload_json(self) -> str:
        return json.dumps(self.d, separators=(",", ":"), ensure_ascii=False)

    @property
    def guild_id(self) -> int | None:
        return Scope.guild_of(self.scope)

    def scopes(self) -> list[str]:
        """The single scopes whose sessions receive the event."""
        return Scope.expand(self.scope)

    def as_heard_in(self, scope: str) -> LogEvent:
        """The event as a session reached through ``scope`` receives it: an event of several
        guilds names the guild in its ``d`` and is, for that delivery, an event of that guild."""
        if scope == self.scope or not isinstance(self.d, dict):
            return self
        guild_id = Scope.guild_of(scope)
        return replace(self, d={**self.d, "guild_id": str(guild_id)}, scope=scope)

    def as_hidden(self) -> LogEvent | None:
        """The event as a member of its scope who may not view its channel receives it: what
        its declaration's ``hidden`` makes of it (a CHANNEL_UPDATE that leaves them unable to
        see the channel is, for them, its deletion: only the channel's id, guild, type and
        parent, nothing else of it); of any other channel event, nothing."""
        hidden = self.spec.hidden if self.spec is not None else None
        if hidden is None or not isinstance(self.d, dict):
            return None
        kept = {k: self.d[k] for k in hidden.keys if k in self.d}
        return replace(self, t=hidden.name, d=kept)

    @property
    def needs(self) -> Permission:
        """What a member who may view the event's channel needs besides to receive it whole, as
        its declaration's ``restricted`` says: an invite's code only to those who manage the
        channel (as on Discord); the message a reply answers only to those who may read the
        channel's history."""
        restricted = self.spec.restricted if self.spec is not None else None
        if restricted is None:
            return Permission(0)
        if restricted.part is None or (isinstance(self.d, dict) and restricted.part in self.d):
            return restricted.permission
        return Permission(0)

    @property
    def moved_to(self) -> int | None:
        """A voice leave that is half of a move: the channel moved to (see :data:`MOVED_TO`)."""
        if self.spec is None or not self.spec.moves or not isinstance(self.d, dict):
            return None
        moved = self.d.get(MOVED_TO)
        return int(moved) if isinstance(moved, str) and moved.isdigit() else None

    @property
    def audience_key(self) -> tuple[int, int | None]:
        """Besides its channel and name, what decides who receives the event (and how)."""
        return int(self.needs), self.moved_to

    def as_sent(self) -> LogEvent:
        """The event as clients receive it: without what only the fan-out reads."""
        if self.moved_to is None:
            return self
        return replace(self, d={k: v for k, v in self.d.items() if k != MOVED_TO})

    def as_lacking(self) -> LogEvent | None:
        """The event as a member who may view its channel but lacks :attr:`needs` receives it:
        without the restricted part (a reply without the message it answers; its
        ``message_reference`` stays: the ids only); of an event restricted whole (an invite),
        nothing."""
        restricted = self.spec.restricted if self.spec is not None else None
        if restricted is None or restricted.part is None or not isinstance(self.d, dict):
            return None
        return replace(self, d={k: v for k, v in self.d.items() if k != restricted.part})

    def for_session(self, session_scopes: Collection[str]) -> LogEvent | None:
        """The event as a session subscribed to ``session_scopes`` receives it, once; None when
        none of its scopes is the session's."""
        if self.scope in session_scopes:
            return self
        for scope in self.scopes():
            if scope in session_scopes:
                return self.as_heard_in(scope)
        return None
