"""Bans: a banned user cannot rejoin the guild until unbanned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Ban"]


@dataclass(frozen=True)
class Ban:
    """A user banned from a guild: they cannot rejoin until unbanned."""

    guild_id: int
    user_id: int
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"user": {"id": str(self.user_id)}, "reason": self.reason}
