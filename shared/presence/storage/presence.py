"""Presence items: one per user (``PK=USER#u, SK=PRESENCE``), written with optimistic concurrency.

The item holds the chosen status and the set of connection ids that carry an identified session,
plus a ``version``. Every change reads the item, computes the new presence (pure, in
``shared.presence.domain.presence``) and writes it back in one transaction conditioned on the
version it read, together with the PRESENCE_UPDATE outbox item when the visible status changes. So
two connections closing at once cannot both see "one left" (one of them retries on fresh state),
and an event is emitted exactly when the stored state changes what others see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from shared.errors import Conflict
from shared.gateway.storage import sessions
from shared.outbox.domain.events import GatewayEvent
from shared.outbox.storage import outbox
from shared.presence.domain.presence import Presence, Status
from shared.table.entity import Entity, store_errors
from shared.table.keys import presence_key
from shared.table.transaction import Transaction

__all__ = ["ConnectionClosed", "PresenceRecord", "read", "read_many", "write"]


class ConnectionClosed(Conflict):
    """The connection closed before its session could be counted: nothing to count."""

    code = "connection_closed"


class PresenceRecord(Entity, discriminator="presence"):
    user_id = NumberAttribute()
    status = UnicodeAttribute()
    connections = UnicodeSetAttribute(null=True)
    version = NumberAttribute()

    def presence(self) -> Presence:
        return Presence(Status(self.status), frozenset(self.connections or ()))


def read(user_id: int) -> tuple[Presence, int]:
    """The user's presence and its version (0: never stored), read consistently."""
    pk, sk = presence_key(user_id)
    with store_errors():
        try:
            record = PresenceRecord.get(pk, sk, consistent_read=True)
        except PresenceRecord.DoesNotExist:
            return Presence(), 0
    return record.presence(), int(record.version)


def read_many(user_ids: Iterable[int]) -> dict[int, Presence]:
    """The stored presences of these users (BatchGet; users never stored are left out)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    with store_errors():
        return {
            int(record.user_id): record.presence()
            for record in PresenceRecord.batch_get([presence_key(u) for u in wanted])
            if isinstance(record, PresenceRecord)
        }


def write(
    user_id: int,
    presence: Presence,
    version: int,
    event: GatewayEvent | None,
    *,
    open_connection: str | None = None,
) -> None:
    """Store ``presence`` if the item is still at ``version`` (else :class:`StaleWrite`), with
    its event; with ``open_connection``, only while that connection has not closed (else
    :class:`ConnectionClosed`), so a session is never counted after its $disconnect ran."""
    pk, sk = presence_key(user_id)
    record = PresenceRecord(
        pk,
        sk,
        user_id=user_id,
        status=str(presence.status),
        connections=set(presence.connections) or None,
        version=version + 1,
    )
    tx = Transaction()
    if open_connection is not None:
        model, hash_key, range_key, condition = sessions.connection_open(open_connection)
        tx.check(model, hash_key, range_key, condition, ConnectionClosed("The connection closed."))
    tx.put(
        record,
        condition=(
            PresenceRecord.pk.does_not_exist()
            if version == 0
            else PresenceRecord.version == version
        ),
    )
    if event is not None:
        outbox.emit(tx, event, datetime.now(UTC))
    tx.commit()
