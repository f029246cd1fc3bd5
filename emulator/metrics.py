"""The functions' own metrics, locally: the CloudWatch EMF lines their workers print, summed.

On AWS, CloudWatch turns each EMF line of a function's log into metric data points. Here the
runtime hands every line a worker prints to :meth:`MetricsTally.observe`, which keeps, per metric
name, the sum of its values and (for durations) the values themselves, so ``parley dev`` can
print on exit the figures the dashboard shows: messages and deliveries per second, fan-out
latency percentiles, errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MetricsTally", "percentile"]

#: The dashboard's metrics (shared/observability.py's ``Metric``), in the summary's order.
SUMMARY_ORDER = (
    "MessagesCreated",
    "Deliveries",
    "DeliveryFailures",
    "GoneConnections",
    "FanoutLatency",
    "ClientErrors",
    "ServerErrors",
    "GatewayErrors",
)
#: Counts shown as a rate too (the dashboard plots them per second).
RATES = frozenset({"MessagesCreated", "Deliveries"})
#: Duration samples kept per metric for the percentiles; beyond it, the newest are dropped.
MAX_SAMPLES = 100_000


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class _Series:
    unit: str
    total: float = 0.0
    samples: list[float] = field(default_factory=list)


def _values(raw: Any) -> list[float]:
    items = raw if isinstance(raw, list) else [raw]
    return [float(v) for v in items if isinstance(v, int | float) and not isinstance(v, bool)]


class MetricsTally:
    """Every EMF metric seen, by name."""

    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}

    def observe(self, line: str) -> bool:
        """Take one log line; True when it was an EMF blob (its metrics are now counted)."""
        if not line.startswith("{") or '"_aws"' not in line:
            return False
        try:
            blob = json.loads(line)
        except ValueError:
            return False
        aws = blob.get("_aws") if isinstance(blob, Mapping) else None
        directives = aws.get("CloudWatchMetrics") if isinstance(aws, Mapping) else None
        if not isinstance(directives, list):
            return False
        for directive in directives:
            for definition in directive.get("Metrics") or []:
                name = definition.get("Name")
                if not isinstance(name, str) or name not in blob:
                    continue
                values = _values(blob[name])
                series = self._series.setdefault(name, _Series(definition.get("Unit", "None")))
                series.total += sum(values)
                if series.unit == "Milliseconds":
                    series.samples.extend(values[: MAX_SAMPLES - len(series.samples)])
        return True

    def total(self, name: str) -> float:
        """The sum of every value of a metric (0 if never seen)."""
        series = self._series.get(name)
        return series.total if series else 0.0

    def samples(self, name: str) -> list[float]:
        series = self._series.get(name)
        return list(series.samples) if series else []

    def summary(self, elapsed_s: float) -> str:
        """One line: each dashboard metric, rates over ``elapsed_s``, latency percentiles."""
        names = [*SUMMARY_ORDER, *sorted(set(self._series) - set(SUMMARY_ORDER))]
        parts = []
        for name in names:
            series = self._series.get(name)
            if series is not None and series.samples:
                parts.append(
                    f"{name} p50 {percentile(series.samples, 50):.0f} ms, "
                    f"p99 {percentile(series.samples, 99):.0f} ms (n={len(series.samples)})"
                )
            elif name == "FanoutLatency":
                parts.append(f"{name} n=0")
            else:
                total = self.total(name)
                text = f"{name} {total:.0f}"
                if name in RATES:
                    text += f" ({total / max(elapsed_s, 1e-9):.2f}/s)"
                parts.append(text)
        return ", ".join(parts)
