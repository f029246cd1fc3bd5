"""Choosing a media node for a room: least loaded, sticky room, dead node skipped."""

from __future__ import annotations

import pytest

from shared.voice.domain.nodes import NodeRecord, live_nodes, pick_node

NOW = 1_000.0


def node(node_id: str, load: int, capacity: int = 100, **kw) -> NodeRecord:
    fields = {
        "endpoint": f"ws://127.0.0.1:7000/{node_id}",
        "region": "local",
        "heartbeat_at": NOW - 1,
        "expires_at": NOW + 14,
    }
    fields.update(kw)
    return NodeRecord(node_id=node_id, capacity=capacity, load=load, **fields)


def test_least_loaded_node_wins():
    nodes = [node("a", 40), node("b", 10), node("c", 30)]
    assert pick_node(nodes, now=NOW).node_id == "b"


def test_least_loaded_is_by_utilisation_not_raw_load():
    nodes = [node("small", 5, capacity=10), node("big", 20, capacity=100)]
    assert pick_node(nodes, now=NOW).node_id == "big"


def test_ties_break_deterministically():
    assert pick_node([node("b", 1), node("a", 1)], now=NOW).node_id == "a"


def test_room_stays_on_its_node_even_when_another_is_less_loaded():
    nodes = [node("a", 90), node("b", 0)]
    assert pick_node(nodes, now=NOW, room_node_id="a").node_id == "a"


def test_room_on_a_dead_node_moves_to_the_least_loaded_live_one():
    nodes = [node("a", 0, expires_at=NOW), node("b", 50), node("c", 20)]
    assert pick_node(nodes, now=NOW, room_node_id="a").node_id == "c"


def test_dead_node_is_skipped_at_its_expiry_edge():
    almost = node("a", 0, expires_at=NOW + 0.001)
    gone = node("a", 0, expires_at=NOW)
    assert pick_node([almost, node("b", 50)], now=NOW).node_id == "a"
    assert pick_node([gone, node("b", 50)], now=NOW).node_id == "b"


def test_draining_node_is_skipped_even_for_its_own_room():
    nodes = [node("a", 0, draining=True), node("b", 50)]
    assert pick_node(nodes, now=NOW, room_node_id="a").node_id == "b"


def test_full_nodes_take_no_new_room_and_none_when_all_full_or_dead():
    nodes = [node("a", 100), node("b", 99)]
    assert pick_node(nodes, now=NOW).node_id == "b"
    nodes = [
        node("a", 100),
        node("b", 100),
        node("c", 0, heartbeat_at=NOW - 20, expires_at=NOW - 5),
    ]
    assert pick_node(nodes, now=NOW) is None
    assert pick_node([], now=NOW) is None


def test_region_is_preferred_when_it_has_room():
    nodes = [node("eu", 50, region="eu"), node("us", 0, region="us")]
    assert pick_node(nodes, now=NOW, region="eu").node_id == "eu"
    nodes = [node("eu", 100, region="eu"), node("us", 90, region="us")]
    assert pick_node(nodes, now=NOW, region="eu").node_id == "us"


def test_live_nodes_filters_dead_and_draining():
    nodes = [node("a", 0), node("b", 0, expires_at=NOW), node("c", 0, draining=True)]
    assert [n.node_id for n in live_nodes(nodes, NOW)] == ["a"]


@pytest.mark.parametrize(
    "kw",
    [
        {"node_id": ""},
        {"node_id": "a#b"},
        {"endpoint": "http://x"},
        {"capacity": 0},
        {"load": -1},
        {"expires_at": NOW - 10},
    ],
)
def test_record_validates_itself(kw):
    fields = {
        "node_id": "a",
        "endpoint": "ws://h/rtc",
        "region": "r",
        "capacity": 1,
        "load": 0,
        "heartbeat_at": NOW,
        "expires_at": NOW + 1,
    }
    fields.update(kw)
    with pytest.raises(ValueError, match=r"must|before"):
        NodeRecord(**fields)
