"""The media node registry in the single table: one item per node, kept alive by heartbeats.

``PK=MEDIA_NODES``, ``SK=NODE#<id>``: listing the nodes is one Query of one partition, never a
Scan. Each heartbeat overwrites the node's item and pushes its TTL forward; a node that stops
heartbeating is treated as dead once ``expires_at`` passes (see ``shared.voice.domain.nodes``), and
DynamoDB's TTL sweeper removes the item later. A draining node deletes its own item first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException

from shared.errors import Unavailable
from shared.table.keys import MEDIA_NODES_PK, media_node_sk
from shared.table.schema import ParleyItem
from shared.voice.domain.nodes import NodeRecord

__all__ = ["MediaNodeItem", "list_nodes", "remove_node", "save_heartbeat"]


class MediaNodeItem(ParleyItem):
    """A media node's registry item."""

    node_id = UnicodeAttribute()
    endpoint = UnicodeAttribute()
    region = UnicodeAttribute()
    capacity = NumberAttribute()
    load = NumberAttribute()
    heartbeat_at = NumberAttribute()
    expires_epoch = NumberAttribute()
    draining = BooleanAttribute(default=False)

    def to_record(self) -> NodeRecord:
        return NodeRecord(
            node_id=self.node_id,
            endpoint=self.endpoint,
            region=self.region,
            capacity=int(self.capacity),
            load=int(self.load),
            heartbeat_at=float(self.heartbeat_at),
            expires_at=float(self.expires_epoch),
            draining=bool(self.draining),
        )


def save_heartbeat(record: NodeRecord) -> None:
    """Write (or refresh) the node's item; its TTL is the record's ``expires_at``."""
    item = MediaNodeItem(
        MEDIA_NODES_PK,
        media_node_sk(record.node_id),
        node_id=record.node_id,
        endpoint=record.endpoint,
        region=record.region,
        capacity=record.capacity,
        load=record.load,
        heartbeat_at=record.heartbeat_at,
        expires_epoch=record.expires_at,
        draining=record.draining,
        expires_at=datetime.fromtimestamp(record.expires_at, UTC),
    )
    try:
        item.save()
    except PynamoDBException as exc:
        raise Unavailable("The node registry cannot be reached.") from exc


def remove_node(node_id: str) -> None:
    """Delete the node's item (a draining node leaves the registry); absent is fine."""
    try:
        MediaNodeItem(MEDIA_NODES_PK, media_node_sk(node_id)).delete()
    except PynamoDBException as exc:
        raise Unavailable("The node registry cannot be reached.") from exc


def list_nodes() -> list[NodeRecord]:
    """Every registered node, live or not (one Query; filter with ``voice_nodes.live_nodes``)."""
    try:
        return [item.to_record() for item in MediaNodeItem.query(MEDIA_NODES_PK)]
    except PynamoDBException as exc:
        raise Unavailable("The node registry cannot be reached.") from exc
