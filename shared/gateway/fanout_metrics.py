"""What one fan-out batch did, as the metrics the dashboard reads (docs/observability.md).

``Deliveries``, ``DeliveryFailures`` and ``GoneConnections`` come straight from the batch's
report. ``FanoutLatency`` is the one end-to-end figure a user feels: for each ``MESSAGE_CREATE``
the batch delivered, the time from the message's creation (its snowflake id, stamped in the
messages function just before the commit, to the millisecond) to the end of the batch's posts.
The stream record's own ``ApproximateCreationDateTime`` would not do: DynamoDB Streams gives
it in whole seconds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from shared.gateway.fanout import FanoutReport
from shared.gateway.storage.gateway_log import entry_from_image
from shared.ids import id_timestamp
from shared.observability import Metric, count, record_ms
from shared.outbox.domain.events import EventName

__all__ = ["message_latencies_ms", "record_batch"]


def message_latencies_ms(records: Sequence[dict[str, Any]], finished_ms: float) -> list[float]:
    """How long each MESSAGE_CREATE log entry in these stream records took to be delivered."""
    latencies = []
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        entry = entry_from_image(record.get("dynamodb", {}).get("NewImage") or {})
        if entry is None or entry.event.t != EventName.MESSAGE_CREATE.value:
            continue
        message_id = entry.event.d.get("id") if isinstance(entry.event.d, dict) else None
        if not str(message_id).isdigit():
            continue
        created_ms = id_timestamp(int(str(message_id))).timestamp() * 1000
        latencies.append(max(0.0, finished_ms - created_ms))
    return latencies


def record_batch(report: FanoutReport, records: Sequence[dict[str, Any]]) -> None:
    """Add one batch's figures to the invocation's metrics (flushed by ``instrumented``)."""
    count(Metric.DELIVERIES, report.delivered)
    count(Metric.DELIVERY_FAILURES, report.failed)
    count(Metric.GONE_CONNECTIONS, len(report.gone))
    if report.delivered:
        for latency in message_latencies_ms(records, time.time() * 1000):
            record_ms(Metric.FANOUT_LATENCY, latency)
