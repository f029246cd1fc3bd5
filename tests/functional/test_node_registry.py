"""The node registry contract, run against the store (moto) and the in-memory adapter alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from moto import mock_aws

from emulator.store import ensure_tables
from emulator.template import load_template
from media_nodes.registry import Heartbeat, MemoryRegistry, NodeRegistry, StoreRegistry
from shared.voice.domain.nodes import NodeRecord, pick_node
from tests.conftest import REPO_ROOT


def make_store_registry() -> Iterator[NodeRegistry]:
    with mock_aws():
        template = load_template(REPO_ROOT / "template.yaml")
        tables = [replace(t, name="parley-test") for t in template.tables.values()]
        ensure_tables(None, "us-east-1", tables)
        yield StoreRegistry()


def make_memory_registry() -> Iterator[NodeRegistry]:
    yield MemoryRegistry()


@pytest.fixture(params=[make_store_registry, make_memory_registry], ids=["store", "memory"])
def registry(request) -> Iterator[NodeRegistry]:
    yield from request.param()


def record(node_id: str, load: int = 0, *, now: float | None = None, ttl: float = 15.0):
    at = time.time() if now is None else now
    return NodeRecord(
        node_id=node_id,
        endpoint=f"ws://127.0.0.1:7000/{node_id}",
        region="local",
        capacity=500,
        load=load,
        heartbeat_at=at,
        expires_at=at + ttl,
    )


def test_saved_records_are_listed_and_refreshed(registry):
    registry.save(record("n1", 3))
    registry.save(record("n2", 1))
    registry.save(record("n1", 7))
    nodes = {n.node_id: n for n in registry.list()}
    assert set(nodes) == {"n1", "n2"}
    assert nodes["n1"].load == 7
    assert nodes["n1"].endpoint == "ws://127.0.0.1:7000/n1"


def test_removed_node_is_gone_and_removing_twice_is_fine(registry):
    registry.save(record("n1"))
    registry.remove("n1")
    registry.remove("n1")
    assert registry.list() == []


def test_a_node_that_stopped_heartbeating_is_not_picked(registry):
    now = time.time()
    registry.save(record("old", 0, now=now - 30))  # expired 15 s ago
    registry.save(record("new", 400, now=now))
    assert pick_node(registry.list(), now=now).node_id == "new"


async def test_heartbeat_writes_then_leaves(registry):
    beat = Heartbeat(registry, lambda now, until: record("hb", 2, now=now), 0.05, 1.0)
    await beat.beat()
    assert [n.node_id for n in registry.list()] == ["hb"]
    await beat.stop_and_leave("hb")
    assert registry.list() == []


def test_heartbeat_interval_must_be_shorter_than_the_ttl():
    with pytest.raises(ValueError, match="shorter than the TTL"):
        Heartbeat(MemoryRegistry(), lambda now, until: record("x"), interval_s=5, ttl_s=5)
