"""The media node registry's records, and the choice of a node for a room (pure).

Each media node heartbeats a :class:`NodeRecord` into the store with a TTL
(``shared.voice.storage.nodes``); the voice function lists the records with one Query and calls
:func:`pick_node`. A node whose heartbeat stopped is dead as soon as its ``expires_at`` passes,
whether or not DynamoDB's TTL sweeper (which may lag by hours) has deleted the item yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["NodeRecord", "live_nodes", "pick_node"]


@dataclass(frozen=True)
class NodeRecord:
    """One media node as its last heartbeat described it."""

    node_id: str
    endpoint: str
    region: str
    capacity: int
    load: int
    heartbeat_at: float
    expires_at: float
    draining: bool = False

    def __post_init__(self) -> None:
        if not self.node_id or "#" in self.node_id:
            raise ValueError("node_id must be non-empty and contain no '#'")
        if not self.endpoint.startswith(("ws://", "wss://")):
            raise ValueError("endpoint must be a ws:// or wss:// URL")
        if self.capacity <= 0 or self.load < 0:
            raise ValueError("capacity must be > 0 and load >= 0")
        if self.expires_at < self.heartbeat_at:
            raise ValueError("expires_at is before heartbeat_at")

    def alive(self, now: float) -> bool:
        """Heartbeating recently and not draining: may be given rooms."""
        return now < self.expires_at and not self.draining

    @property
    def utilisation(self) -> float:
        return self.load / self.capacity


def live_nodes(nodes: Iterable[NodeRecord], now: float) -> list[NodeRecord]:
    """The nodes that may take rooms now."""
    return [node for node in nodes if node.alive(now)]


def pick_node(
    nodes: Iterable[NodeRecord],
    *,
    now: float,
    room_node_id: str | None = None,
    region: str | None = None,
) -> NodeRecord | None:
    """The node a room should be on: its current node while that lives, else the least loaded.

    A room stays on one node (``room_node_id``, where its participants already are) for as long
    as that node heartbeats, even when another is less loaded: splitting a room would cut its
    members off from each other. Otherwise the least utilised live node with room to spare wins,
    preferring ``region`` when one there has room. ``None`` when every node is dead or full.
    """
    alive = live_nodes(nodes, now)
    if room_node_id is not None:
        for node in alive:
            if node.node_id == room_node_id:
                return node
    spare = [node for node in alive if node.load < node.capacity]
    if region is not None:
        local = [node for node in spare if node.region == region]
        spare = local or spare
    if not spare:
        return None
    return min(spare, key=lambda node: (node.utilisation, node.load, node.node_id))
