"""``/metrics``: the node's state in the Prometheus text format, read at scrape time.

The forwarding path only bumps plain integers (``ForwardStats``); this collector turns them into
metric families when Prometheus asks, so a scrape costs the node nothing between scrapes. CPU comes
from prometheus-client's process collector (``process_cpu_seconds_total``) and, as a ready-made
ratio, from psutil.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psutil
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from media_nodes.forwarding import ForwardStats

__all__ = ["CONTENT_TYPE", "NodeGauges", "build_registry", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class NodeGauges:
    """What the node reports about itself at scrape time."""

    rooms: Callable[[], int]
    participants: Callable[[], int]
    capacity: Callable[[], int]
    inbound_lost: Callable[[], int]
    inbound_expected: Callable[[], int]
    outbox_depth: Callable[[], int]
    draining: Callable[[], bool]


class _NodeCollector(Collector):
    def __init__(self, stats: ForwardStats, gauges: NodeGauges) -> None:
        self.stats = stats
        self.gauges = gauges
        self.process = psutil.Process()
        self.process.cpu_percent(None)

    def collect(self) -> Iterator[Metric]:
        s, g = self.stats, self.gauges
        yield GaugeMetricFamily("parley_media_rooms", "Rooms on this node", value=g.rooms())
        yield GaugeMetricFamily(
            "parley_media_participants", "Participants connected", value=g.participants()
        )
        yield GaugeMetricFamily(
            "parley_media_capacity", "Participants this node accepts", value=g.capacity()
        )
        yield GaugeMetricFamily(
            "parley_media_draining", "1 while the node drains", value=int(g.draining())
        )
        yield GaugeMetricFamily(
            "parley_media_outbox_packets", "Packets queued to receivers", value=g.outbox_depth()
        )
        yield CounterMetricFamily(
            "parley_media_packets_in", "RTP packets received", value=s.packets_in
        )
        yield CounterMetricFamily(
            "parley_media_packets_out", "RTP packets forwarded", value=s.packets_out
        )
        yield CounterMetricFamily("parley_media_bytes_in", "RTP bytes received", value=s.bytes_in)
        yield CounterMetricFamily(
            "parley_media_bytes_out", "RTP bytes forwarded", value=s.bytes_out
        )
        dropped = CounterMetricFamily(
            "parley_media_packets_dropped",
            "Packets not forwarded, by reason",
            labels=["reason"],
        )
        dropped.add_metric(["outbox_full"], s.dropped_full)
        dropped.add_metric(["receiver_gone"], s.dropped_dead)
        dropped.add_metric(["not_opus"], s.dropped_foreign)
        yield dropped
        yield CounterMetricFamily(
            "parley_media_packets_lost_inbound",
            "Packets senders sent that never reached the node (sequence gaps)",
            value=g.inbound_lost() + s.lost_closed,
        )
        expected = g.inbound_expected()
        yield GaugeMetricFamily(
            "parley_media_inbound_loss_ratio",
            "Fraction of inbound packets lost, over the streams now connected",
            value=(g.inbound_lost() / expected) if expected else 0.0,
        )
        delay = HistogramMetricFamily(
            "parley_media_forward_delay_seconds",
            "Time from a packet's arrival at the node to its forwarded copy's send",
            buckets=s.delay.cumulative(),
            sum_value=s.delay.total,
        )
        yield delay
        yield GaugeMetricFamily(
            "parley_media_cpu_percent",
            "CPU used by the node process since the last scrape (100 = one core)",
            value=self.process.cpu_percent(None),
        )


def build_registry(stats: ForwardStats, gauges: NodeGauges) -> CollectorRegistry:
    """A registry of this node's metrics (one per node, so tests can run several in a process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_NodeCollector(stats, gauges))
    ProcessCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
