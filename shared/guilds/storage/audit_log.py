"""Audit log items: ``PK=GUILD#g, SK=AUDIT#<event id>``, newest first, expiring after 45 days.

Written only by the stream consumer (from the outbox events that carry an audit record), read
by ``GET /guilds/{id}/audit-log``.
"""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.errors import NotFound
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.audit_log import AuditEntry
from shared.guilds.storage.guilds import check_live
from shared.outbox.domain.events import AuditAction, Change
from shared.table.entity import Entity, store_errors
from shared.table.keys import AUDIT_SK_PREFIX, audit_sk, guild_pk
from shared.table.transaction import Transaction

__all__ = ["AuditEntryRecord", "page", "record"]


class AuditEntryRecord(Entity, discriminator="audit"):
    entry_id = NumberAttribute()
    guild_id = NumberAttribute()
    actor_id = NumberAttribute(null=True)
    action = NumberAttribute()
    target_id = NumberAttribute(null=True)
    changes = UnicodeAttribute(default="[]")
    reason = UnicodeAttribute(null=True)


def _to_entry(record: AuditEntryRecord) -> AuditEntry:
    return AuditEntry(
        id=int(record.entry_id),
        guild_id=int(record.guild_id),
        actor_id=None if record.actor_id is None else int(record.actor_id),
        action=AuditAction(int(record.action)),
        target_id=None if record.target_id is None else int(record.target_id),
        changes=tuple(
            Change(c["key"], c.get("old_value"), c.get("new_value"))
            for c in json.loads(record.changes)
        ),
        reason=record.reason,
    )


def record(entry: AuditEntry, now: datetime) -> bool:
    """Keep an entry (idempotent: a redelivered event writes the same item). False when the
    guild is gone, so nothing is written under a purged guild."""
    tx = Transaction()
    check_live(tx, entry.guild_id)
    tx.put(
        AuditEntryRecord(
            guild_pk(entry.guild_id),
            audit_sk(entry.id),
            entry_id=entry.id,
            guild_id=entry.guild_id,
            actor_id=entry.actor_id,
            action=int(entry.action),
            target_id=entry.target_id,
            changes=json.dumps([c.as_json() for c in entry.changes], separators=(",", ":")),
            reason=entry.reason,
            expires_at=now + limits.AUDIT_RETENTION,
        )
    )
    try:
        tx.commit()
    except NotFound:
        return False
    return True


def page(guild_id: int, *, before: int | None, limit: int) -> list[AuditEntry]:
    """Entries older than ``before``, newest first (one Query, read backwards)."""
    upper = audit_sk(before - 1) if before is not None else f"{AUDIT_SK_PREFIX}~"
    if before is not None and before <= 0:
        return []
    with store_errors():
        records = AuditEntryRecord.query(
            guild_pk(guild_id),
            AuditEntryRecord.sk.between(audit_sk(0), upper),
            scan_index_forward=False,
            consistent_read=True,
            limit=limit,
            page_size=limit,
        )
        return [_to_entry(r) for r in records]
