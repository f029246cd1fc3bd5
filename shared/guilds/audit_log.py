"""The audit log: recorded from outbox events by the stream consumer, read by those with
VIEW_AUDIT_LOG."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.guilds.access import guild_access
from shared.guilds.domain.audit_log import AuditEntry
from shared.guilds.domain.permissions import Permission
from shared.guilds.storage import audit_log as audit_store
from shared.outbox.storage.outbox import StoredEvent

__all__ = ["read_audit_log", "record_event"]


def read_audit_log(
    guild_id: int, user_id: int, *, before: int | None, limit: int
) -> dict[str, Any]:
    """Entries newest first, older than ``before`` (an entry id) when given."""
    access = guild_access(guild_id, user_id, datetime.now(UTC))
    access.require(Permission.VIEW_AUDIT_LOG)
    entries = audit_store.page(guild_id, before=before, limit=limit)
    return {"audit_log_entries": [e.as_json() for e in entries]}


def record_event(stored: StoredEvent) -> bool:
    """Keep the audit part of an event, if it has one; whether an entry was written."""
    audit = stored.event.audit
    if audit is None or stored.event.guild_id is None:
        return False
    entry = AuditEntry(
        id=stored.id,
        guild_id=stored.event.guild_id,
        actor_id=stored.event.actor_id,
        action=audit.action,
        target_id=audit.target_id,
        changes=audit.changes,
        reason=audit.reason,
    )
    return audit_store.record(entry, datetime.now(UTC))
