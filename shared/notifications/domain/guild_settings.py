"""A user's notification settings of one guild (or of their DMs), in Discord's shape.

``message_notifications`` is 0 (every message), 1 (only mentions) or 2 (nothing); a channel
override may also say 3 (follow the guild's setting). A guild the user never configured is
"only mentions": a plain message does not notify until the user asks for every message
(docs/protocol.md, "Notification settings"). ``muted`` with ``mute_end`` None is a mute until
turned off; with an end time, the mute is over once that time has passed. Pure; no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = [
    "DM_SETTINGS_ID",
    "MAX_CHANNEL_OVERRIDES",
    "ChannelOverride",
    "GuildSettings",
    "Level",
    "merge_overrides",
]

#: The guild id under which a user's DM settings are kept (``@me`` in the routes).
DM_SETTINGS_ID = 0
#: The most channel overrides one guild's settings hold (a request that would pass it is a 400).
MAX_CHANNEL_OVERRIDES = 100


class Level(enum.IntEnum):
    """``message_notifications``: Discord's numbers."""

    ALL_MESSAGES = 0
    ONLY_MENTIONS = 1
    NOTHING = 2
    #: A channel override's "as the guild says".
    INHERIT = 3


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _mute_json(muted: bool, mute_end: datetime | None) -> dict[str, Any] | None:
    return {"end_time": _iso(mute_end)} if muted else None


@dataclass(frozen=True, slots=True)
class ChannelOverride:
    """One channel's own setting inside a guild's settings."""

    channel_id: int
    level: Level = Level.INHERIT
    muted: bool = False
    mute_end: datetime | None = None

    def __post_init__(self) -> None:
        if not self.muted and self.mute_end is not None:
            object.__setattr__(self, "mute_end", None)

    @property
    def is_default(self) -> bool:
        """An override that changes nothing (dropped rather than kept)."""
        return self.level is Level.INHERIT and not self.muted

    def as_json(self) -> dict[str, Any]:
        return {
            "channel_id": str(self.channel_id),
            "message_notifications": int(self.level),
            "muted": self.muted,
            "mute_config": _mute_json(self.muted, self.mute_end),
        }


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One user's settings of one guild (``guild_id`` :data:`DM_SETTINGS_ID`: their DMs)."""

    guild_id: int
    level: Level = Level.ONLY_MENTIONS
    muted: bool = False
    mute_end: datetime | None = None
    suppress_everyone: bool = False
    overrides: tuple[ChannelOverride, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.level is Level.INHERIT:
            raise ValueError("a guild's setting cannot inherit")
        if not self.muted and self.mute_end is not None:
            object.__setattr__(self, "mute_end", None)
        if len(self.overrides) > MAX_CHANNEL_OVERRIDES:
            raise ValueError(f"at most {MAX_CHANNEL_OVERRIDES} channel overrides")

    def as_json(self) -> dict[str, Any]:
        return {
            "guild_id": None if self.guild_id == DM_SETTINGS_ID else str(self.guild_id),
            "message_notifications": int(self.level),
            "muted": self.muted,
            "mute_config": _mute_json(self.muted, self.mute_end),
            "suppress_everyone": self.suppress_everyone,
            "channel_overrides": [o.as_json() for o in self.overrides],
        }

    def with_changes(self, changes: Mapping[str, Any]) -> GuildSettings:
        """These settings with the fields of ``changes`` (``level``, ``muted``, ``mute_end``,
        ``suppress_everyone``) replaced."""
        return replace(self, **changes)


def merge_overrides(
    current: Iterable[ChannelOverride], changed: Iterable[ChannelOverride]
) -> tuple[ChannelOverride, ...]:
    """``current`` with each of ``changed`` replacing the override of its channel (one that
    changes nothing removes it), in channel id order."""
    by_channel = {o.channel_id: o for o in current}
    for override in changed:
        by_channel[override.channel_id] = override
    return tuple(o for _, o in sorted(by_channel.items()) if not o.is_default)
