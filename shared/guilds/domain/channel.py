"""Channels: text, voice and category, with positions, parents and permission overwrites."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Overwrite, OverwriteType

__all__ = ["Channel", "ChannelType", "overwrite_json", "overwrites_from_json"]


class ChannelType(enum.IntEnum):
    """Discord's channel type numbers (CONTRACT.md)."""

    TEXT = 0
    DM = 1
    VOICE = 2
    GROUP_DM = 3
    CATEGORY = 4


#: The types a guild may hold (DMs belong to no guild).
GUILD_TYPES = frozenset({ChannelType.TEXT, ChannelType.VOICE, ChannelType.CATEGORY})


def overwrite_json(overwrite: Overwrite) -> dict[str, Any]:
    """An overwrite as Discord shows it: bitfields as decimal strings."""
    return {
        "id": str(overwrite.id),
        "type": int(overwrite.type),
        "allow": str(overwrite.allow),
        "deny": str(overwrite.deny),
    }


def overwrites_from_json(items: Iterable[Mapping[str, Any]]) -> dict[int, Overwrite]:
    """Overwrites as :func:`overwrite_json` shows them, by target id (a channel's JSON as an
    event carried it)."""
    return {
        int(o["id"]): Overwrite(
            int(o["id"]), OverwriteType(int(o["type"])), int(o["allow"]), int(o["deny"])
        )
        for o in items
    }


@dataclass(frozen=True)
class Channel:
    """A guild channel. ``overwrites`` is keyed by the role or member id it targets."""

    id: int
    guild_id: int
    type: ChannelType
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    bitrate: int | None = None
    user_limit: int | None = None
    overwrites: Mapping[int, Overwrite] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in GUILD_TYPES:
            raise Invalid("A guild channel is text (0), voice (2) or category (4).")
        if not 1 <= len(self.name) <= limits.CHANNEL_NAME_MAX:
            raise Invalid("A channel name has 1 to 100 characters.", code="invalid_name")
        if self.type is ChannelType.CATEGORY and self.parent_id is not None:
            raise Invalid("A category cannot have a parent.", code="invalid_parent")
        if len(self.overwrites) > limits.MAX_OVERWRITES:
            raise Invalid(
                f"A channel has at most {limits.MAX_OVERWRITES} permission overwrites.",
                code="max_overwrites_reached",
            )

    def as_json(self) -> dict[str, Any]:
        """The channel object of the REST API and of the CHANNEL_* events."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "type": int(self.type),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "permission_overwrites": [overwrite_json(o) for o in self.overwrites.values()],
        }
        if self.type is ChannelType.TEXT:
            out["topic"] = self.topic
        if self.type is ChannelType.VOICE:
            out["bitrate"] = self.bitrate
            out["user_limit"] = self.user_limit
        return out
