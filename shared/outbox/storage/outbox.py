"""The outbox: each gateway event is one small item, written in the change's own transaction.

``PK=GUILDEVENTS#<guild>``, ``SK=EVENT#<event id>``; ``type`` = ``event``. The table stream
delivers its INSERT to the consumers: the gateway fan-out turns it into exactly one
gateway event, the audit log consumer records its ``audit`` part. Items expire after a day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from shared.gateway.domain.log_events import LogEvent, Scope
from shared.ids import new_id
from shared.outbox.domain.events import AuditAction, AuditRecord, Change, EventName, GatewayEvent
from shared.table.entity import Entity
from shared.table.keys import dm_events_pk, event_sk, guild_events_pk, user_events_pk
from shared.table.transaction import Transaction

__all__ = [
    "EVENT_TTL",
    "EventRecord",
    "PendingEvent",
    "StoredEvent",
    "emit",
    "event_from_image",
    "mark_sequenced",
    "pending_from_record",
    "record_of",
]

#: How long an outbox item stays readable (long enough for any consumer's retries).
EVENT_TTL = timedelta(days=1)


class EventRecord(Entity, discriminator="event"):
    """One gateway event, as the stream carries it."""

    event_id = NumberAttribute()
    event = UnicodeAttribute()
    guild_id = NumberAttribute(null=True)
    channel_id = NumberAttribute(null=True)
    user_id = NumberAttribute(null=True)
    actor_id = NumberAttribute(null=True)
    #: The event's ``d``, as JSON text (ids stay strings, as clients receive them).
    data = UnicodeAttribute()
    #: The audit record, as JSON text, when the change is one the audit log keeps.
    audit = UnicodeAttribute(null=True)
    #: The gateway log shards the event has been appended to (set by that append, once each).
    sequenced = NumberSetAttribute(null=True)
    #: A user-level event's guilds: it goes to their sessions, once each (PRESENCE_UPDATE).
    guild_ids = NumberSetAttribute(null=True)
    #: The DM channel the event belongs to (its outbox partition is the DM's).
    dm_channel_id = NumberAttribute(null=True)


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from the stream, with the id its item was written under."""

    id: int
    event: GatewayEvent


def _audit_json(audit: AuditRecord) -> str:
    return json.dumps(
        {
            "action": int(audit.action),
            "target_id": None if audit.target_id is None else str(audit.target_id),
            "changes": [c.as_json() for c in audit.changes],
            "reason": audit.reason,
        },
        separators=(",", ":"),
    )


def _audit_from_json(text: str) -> AuditRecord:
    raw = json.loads(text)
    target = raw.get("target_id")
    return AuditRecord(
        action=AuditAction(raw["action"]),
        target_id=None if target is None else int(target),
        changes=tuple(
            Change(c["key"], c.get("old_value"), c.get("new_value")) for c in raw["changes"]
        ),
        reason=raw.get("reason"),
    )


def record_of(event: GatewayEvent, now: datetime) -> EventRecord:
    """The outbox item of an event (for a transaction that makes the change it reports)."""
    event_id = new_id()
    if event.guild_id is not None:
        pk = guild_events_pk(event.guild_id)
    elif event.dm_channel_id is not None:
        pk = dm_events_pk(event.dm_channel_id)
    else:
        pk = user_events_pk(int(event.user_id or 0))
    return EventRecord(
        pk,
        event_sk(event_id),
        event_id=event_id,
        event=str(event.name),
        guild_id=event.guild_id,
        channel_id=event.channel_id,
        user_id=event.user_id,
        actor_id=event.actor_id,
        data=json.dumps(event.data, separators=(",", ":")),
        audit=None if event.audit is None else _audit_json(event.audit),
        guild_ids=set(event.guild_ids) or None,
        dm_channel_id=event.dm_channel_id,
        expires_at=now + EVENT_TTL,
    )


def emit(tx: Transaction, event: GatewayEvent, now: datetime) -> int:
    """Add the event's outbox item to the transaction; the event's id."""
    record = record_of(event, now)
    tx.put(record, condition=EventRecord.pk.does_not_exist())
    return int(record.event_id)


def event_from_image(image: dict[str, Any]) -> StoredEvent | None:
    """The event of a stream record's ``NewImage``; None for any other kind of item."""
    if image.get("type", {}).get("S") != "event":
        return None
    record = EventRecord.from_raw_data(image)
    return StoredEvent(
        id=int(record.event_id),
        event=GatewayEvent(
            name=EventName(record.event),
            guild_id=None if record.guild_id is None else int(record.guild_id),
            data=json.loads(record.data),
            actor_id=None if record.actor_id is None else int(record.actor_id),
            channel_id=None if record.channel_id is None else int(record.channel_id),
            user_id=None if record.user_id is None else int(record.user_id),
            audit=None if record.audit is None else _audit_from_json(record.audit),
            guild_ids=tuple(sorted(int(g) for g in record.guild_ids or ())),
            dm_channel_id=None if record.dm_channel_id is None else int(record.dm_channel_id),
        ),
    )


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An outbox event waiting to be appended to the gateway log, and the item to mark."""

    pk: str
    sk: str
    event: LogEvent


def pending_from_record(record: dict[str, Any]) -> PendingEvent | None:
    """The outbox event a stream record inserted, as the gateway log holds it; else None."""
    if record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    stored = event_from_image(image)
    if stored is None:
        return None
    event = stored.event
    if event.guild_ids:
        scope = Scope.guilds(event.guild_ids)
    elif event.user_id is not None:
        scope = Scope.user(event.user_id)
    elif event.dm_channel_id is not None:
        scope = Scope.dm(event.dm_channel_id)
    else:
        scope = Scope.guild(int(event.guild_id or 0))
    return PendingEvent(
        pk=image["PK"]["S"],
        sk=image["SK"]["S"],
        event=LogEvent(
            t=str(event.name), d=dict(event.data), scope=scope, channel_id=event.channel_id
        ),
    )


def mark_sequenced(tx: TransactWrite, pending: PendingEvent, shard: int) -> None:
    """In the log append's transaction: this event is now in that shard's log (once only)."""
    tx.update(
        EventRecord(pending.pk, pending.sk),
        actions=[EventRecord.sequenced.add({shard})],
        condition=EventRecord.pk.exists() & ~EventRecord.sequenced.contains(shard),
    )
