"""The emulator's tally of the functions' EMF lines, and the exit summary it prints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from emulator.metrics import MetricsTally, percentile


def _blob(namespace: str = "Parley", **values: Any) -> str:
    """An EMF line shaped as Powertools prints it."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 1,
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [["service"]],
                        "Metrics": [
                            {
                                "Name": name,
                                "Unit": "Milliseconds" if name.endswith("Latency") else "Count",
                            }
                            for name in values
                        ],
                    }
                ],
            },
            "service": "parley",
            **values,
        },
        separators=(",", ":"),
    )


def test_emf_lines_are_summed_per_metric() -> None:
    tally = MetricsTally()
    assert tally.observe(_blob(MessagesCreated=[1.0], Deliveries=[3.0, 2.0]))
    assert tally.observe(_blob(Deliveries=4))
    assert tally.total("Deliveries") == 9
    assert tally.total("MessagesCreated") == 1
    assert tally.total("GoneConnections") == 0


@pytest.mark.parametrize(
    "line",
    [
        '{"level":"INFO","message":"fan-out","service":"parley"}',
        "plain text from a print",
        '{"_aws": not json',
        '{"_aws": {"CloudWatchMetrics": "not a list"}}',
        "",
    ],
)
def test_other_lines_are_not_metrics(line: str) -> None:
    tally = MetricsTally()
    assert not tally.observe(line)
    assert tally.summary(1).startswith("MessagesCreated 0 (0.00/s), Deliveries 0 (0.00/s)")


def test_what_powertools_prints_is_understood(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics = Metrics(namespace="Parley", service="parley")
    metrics.add_metric(name="Deliveries", unit=MetricUnit.Count, value=2)
    metrics.add_metric(name="Deliveries", unit=MetricUnit.Count, value=5)
    metrics.add_metric(name="FanoutLatency", unit=MetricUnit.Milliseconds, value=12.5)
    metrics.flush_metrics()
    (line,) = capsys.readouterr().out.splitlines()
    tally = MetricsTally()
    assert tally.observe(line)
    assert tally.total("Deliveries") == 7
    assert tally.samples("FanoutLatency") == [12.5]


def test_the_summary_gives_rates_percentiles_and_errors() -> None:
    tally = MetricsTally()
    tally.observe(_blob(MessagesCreated=[1.0] * 10, Deliveries=[30.0]))
    tally.observe(_blob(FanoutLatency=[float(v) for v in range(1, 101)]))
    tally.observe(_blob(ClientErrors=[1.0, 1.0], ColdStart=[1.0]))
    summary = tally.summary(5.0)
    assert summary == (
        "MessagesCreated 10 (2.00/s), Deliveries 30 (6.00/s), DeliveryFailures 0, "
        "GoneConnections 0, FanoutLatency p50 50 ms, p99 99 ms (n=100), ClientErrors 2, "
        "ServerErrors 0, GatewayErrors 0, ColdStart 1"
    )


def test_no_latency_recorded_says_so() -> None:
    assert "FanoutLatency n=0" in MetricsTally().summary(1)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0], 99) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
