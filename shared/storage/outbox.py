"""Outbox items: the events a change emits, written in the change's own transaction.

The table's stream carries them to the fan-out, which sequences them into the gateway log; the
item expires a day later (TTL). Writing the event with the change means a crash between the two
cannot lose it: the write is the commit point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, NumberSetAttribute, UnicodeAttribute
from pynamodb.transactions import TransactWrite

from shared.gateway.events import GatewayEvent
from shared.ids import new_id
from shared.storage import keys
from shared.storage.table import ParleyItem

__all__ = [
    "OUTBOX_TTL_S",
    "OutboxItem",
    "PendingEvent",
    "add_to_transaction",
    "emit",
    "mark_sequenced",
    "pending_from_image",
]

OUTBOX_TTL_S = 86_400


class OutboxItem(ParleyItem):
    t = UnicodeAttribute()
    scope = UnicodeAttribute()
    d = UnicodeAttribute()  # JSON
    channel_id = NumberAttribute(null=True)
    # The gateway log shards this event has been appended to (set by the append itself).
    sequenced = NumberSetAttribute(null=True)

    @classmethod
    def of(cls, event: GatewayEvent) -> OutboxItem:
        return cls(
            keys.outbox_pk(new_id()),
            keys.OUTBOX_SK,
            t=event.t,
            scope=event.scope,
            d=event.payload_json(),
            channel_id=event.channel_id,
            expires_at=timedelta(seconds=OUTBOX_TTL_S),
        )


def add_to_transaction(transaction: TransactWrite, event: GatewayEvent) -> None:
    """Emit ``event`` as part of a transaction that makes the change it reports."""
    transaction.save(OutboxItem.of(event))


def emit(event: GatewayEvent) -> None:
    """Emit an event that reports no stored change (typing, for one)."""
    OutboxItem.of(event).save()


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An outbox event waiting to be sequenced, and the item that marks it done."""

    outbox_pk: str
    event: GatewayEvent


def pending_from_image(record: dict[str, Any]) -> PendingEvent | None:
    """The outbox event a stream record inserted, or None if it is not an outbox insert."""
    image = record.get("dynamodb", {}).get("NewImage") or {}
    pk = image.get("PK", {}).get("S", "")
    if not pk.startswith("OUTBOX#") or image.get("SK", {}).get("S") != keys.OUTBOX_SK:
        return None
    channel = image.get("channel_id", {}).get("N")
    return PendingEvent(
        outbox_pk=pk,
        event=GatewayEvent(
            t=image["t"]["S"],
            d=json.loads(image["d"]["S"]),
            scope=image["scope"]["S"],
            channel_id=int(channel) if channel is not None else None,
        ),
    )


def mark_sequenced(transaction: TransactWrite, pending: PendingEvent, shard: int) -> None:
    """In the append's transaction: this event is now in that shard's log (once only)."""
    transaction.update(
        OutboxItem(pending.outbox_pk, keys.OUTBOX_SK),
        actions=[OutboxItem.sequenced.add({shard})],
        condition=OutboxItem.pk.exists() & ~OutboxItem.sequenced.contains(shard),
    )
