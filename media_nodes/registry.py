"""The node registry as the media node sees it: a port with two adapters, and the heartbeat loop.

The node only ever writes its own record and deletes it when draining; the voice function reads
them all. :class:`StoreRegistry` is the real one (the single table, through pynamodb, whose
blocking calls run in a thread so the forwarding loop never waits on the store);
:class:`MemoryRegistry` serves tests and a node started without a store. Both pass the same
contract suite (``tests/functional/test_node_registry.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shared.errors import Unavailable
from shared.voice.domain.nodes import NodeRecord
from shared.voice.storage.nodes import list_nodes, remove_node, save_heartbeat

__all__ = ["Heartbeat", "MemoryRegistry", "NodeRegistry", "StoreRegistry"]

log = logging.getLogger("parley.media.registry")


class NodeRegistry(Protocol):
    """Where media nodes announce themselves."""

    def save(self, record: NodeRecord) -> None: ...

    def remove(self, node_id: str) -> None: ...

    def list(self) -> list[NodeRecord]: ...


@dataclass
class MemoryRegistry:
    """An in-process registry (tests; a node run without a store)."""

    records: dict[str, NodeRecord] = field(default_factory=dict)

    def save(self, record: NodeRecord) -> None:
        self.records[record.node_id] = record

    def remove(self, node_id: str) -> None:
        self.records.pop(node_id, None)

    def list(self) -> list[NodeRecord]:
        return sorted(self.records.values(), key=lambda r: r.node_id)


class StoreRegistry:
    """The registry in the single table (``shared.voice.storage.nodes``)."""

    def save(self, record: NodeRecord) -> None:
        save_heartbeat(record)

    def remove(self, node_id: str) -> None:
        remove_node(node_id)

    def list(self) -> list[NodeRecord]:
        return list_nodes()


@dataclass
class Heartbeat:
    """Writes this node's record every ``interval_s`` with a TTL of ``ttl_s``.

    ``describe`` is called each beat for the current load. A failed write is logged and retried
    at the next beat: the TTL (several intervals long) rides over a short store outage.
    """

    registry: NodeRegistry
    describe: Callable[[float, float], NodeRecord]
    interval_s: float = 2.0
    ttl_s: float = 6.0
    beats: int = 0
    failures: int = 0
    _task: asyncio.Task[None] | None = None
    _registered: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if not 0 < self.interval_s < self.ttl_s:
            raise ValueError("the heartbeat interval must be shorter than the TTL")

    def record(self) -> NodeRecord:
        now = time.time()
        return self.describe(now, now + self.ttl_s)

    async def beat(self) -> None:
        """One heartbeat now."""
        try:
            await asyncio.to_thread(self.registry.save, self.record())
            self.beats += 1
            self._registered.set()
        except Unavailable as exc:
            self.failures += 1
            log.warning("heartbeat failed: %s", exc)

    async def registered(self) -> None:
        """Return once a beat has written the record: the allocator can choose this node."""
        await self._registered.wait()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="node-heartbeat")

    async def _run(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(self.interval_s)

    async def stop_and_leave(self, node_id: str) -> None:
        """Stop beating and delete the record: the allocator stops choosing this node at once."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await asyncio.to_thread(self.registry.remove, node_id)
        except Unavailable as exc:
            log.warning("could not leave the registry (the TTL will): %s", exc)
