"""Audit log entries: who changed what in a guild, before and after, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.outbox.domain.events import AuditAction, Change

__all__ = ["AuditEntry"]


@dataclass(frozen=True)
class AuditEntry:
    """One entry; ``id`` is the id of the event that produced it (entries sort by it)."""

    id: int
    guild_id: int
    actor_id: int | None
    action: AuditAction
    target_id: int | None
    changes: tuple[Change, ...] = ()
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        """An entry as Discord's audit log shows it."""
        return {
            "id": str(self.id),
            "action_type": int(self.action),
            "user_id": None if self.actor_id is None else str(self.actor_id),
            "target_id": None if self.target_id is None else str(self.target_id),
            "changes": [c.as_json() for c in self.changes],
            "reason": self.reason,
        }
