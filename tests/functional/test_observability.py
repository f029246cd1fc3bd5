"""What the functions log and emit (docs/observability.md), read back from their output.

Each handler is called as Lambda calls it; its log lines (Powertools' JSON) and its EMF blobs
(printed to stdout at the end of the invocation) are captured and parsed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from shared.gateway import fanout
from shared.gateway.poster import Delivery, PostResult
from shared.gateway.storage import sessions
from shared.ids import new_id
from shared.messages import messages as message_service
from shared.observability import (
    DEFAULT_NAMESPACE,
    Metric,
    invocation_keys,
    is_instrumented,
    logger,
    metrics,
)
from shared.outbox.domain.events import EventName, GatewayEvent
from tests.fake_directory import FakeDirectory
from tests.functional.apigw import handler_for, request, template
from tests.functional.conftest import FakeLambdaContext, load_event
from tests.functional.guildkit import StreamTap, create_guild, new_user, text_channel
from tests.functional.test_gateway_sessions import (
    USER,
    directory,
    identify,
    outboxed,
)

__all__ = ["directory"]  # the fixture, shared with the gateway session tests


class Output:
    """The invocation's log lines and EMF blobs, parsed."""

    def __init__(self, logs: io.StringIO, capsys: pytest.CaptureFixture[str]) -> None:
        self._logs = logs
        self._capsys = capsys
        self._read = 0

    def lines(self) -> list[dict[str, Any]]:
        """Everything written since the last call."""
        logged = self._logs.getvalue()
        text = logged[self._read :] + self._capsys.readouterr().out
        self._read = len(logged)
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def logs(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [line for line in lines if "_aws" not in line]

    def emitted(self, lines: list[dict[str, Any]]) -> dict[str, list[float]]:
        """Metric name -> values, over every EMF blob; each blob's namespace is checked."""
        values: dict[str, list[float]] = {}
        for line in lines:
            if "_aws" not in line:
                continue
            for directive in line["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == NAMESPACE
                for definition in directive["Metrics"]:
                    raw = line[definition["Name"]]
                    values.setdefault(definition["Name"], []).extend(
                        raw if isinstance(raw, list) else [raw]
                    )
        return values


#: Imported now: its module installs the store's directory, which the tests' fixture replaces.
FANOUT = handler_for("FanoutFunction")
NAMESPACE = template().functions["HealthFunction"].environment["POWERTOOLS_METRICS_NAMESPACE"]


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Output]:
    """Metrics on; the logger writing where the test reads."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()
    logs = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(logs)
    capsys.readouterr()
    try:
        yield Output(logs, capsys)
    finally:
        handler.setStream(previous)
        metrics.clear_metrics()


@pytest.mark.parametrize("function_id", sorted(template().functions))
def test_every_function_of_the_template_is_instrumented(function_id: str) -> None:
    assert is_instrumented(handler_for(function_id)), function_id


def test_the_template_names_the_default_namespace() -> None:
    assert NAMESPACE == DEFAULT_NAMESPACE == metrics.namespace


def test_a_failing_request_logs_its_request_id_user_and_route(
    output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = new_user()
    channel = text_channel(create_guild(owner))
    output.lines()

    def broken(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("the store fell over")

    monkeypatch.setattr(message_service, "send_message", broken)
    reply = request("POST", f"/channels/{channel}/messages", user=owner, body={"content": "hi"})

    assert reply.status == 500
    lines = output.lines()
    (line,) = [log for log in output.logs(lines) if log["message"] == "unhandled error"]
    assert line["route"] == "POST /api/v1/channels/{channel_id}/messages"
    assert line["user_id"] == str(owner)
    assert line["correlation_id"]  # API Gateway's request id
    assert line["function_request_id"]
    assert line["level"] == "ERROR"
    assert output.emitted(lines)[Metric.SERVER_ERRORS] == [1.0]


def test_a_sent_message_and_a_refused_request_are_counted(output: Output) -> None:
    owner = new_user()
    channel = text_channel(create_guild(owner))
    output.lines()

    sent = request("POST", f"/channels/{channel}/messages", user=owner, body={"content": "hi"})
    refused = request(
        "POST", f"/channels/{channel}/messages", user=new_user(), body={"content": "x"}
    )

    assert (sent.status, refused.status) == (201, 404)
    emitted = output.emitted(output.lines())
    assert emitted[Metric.MESSAGES_CREATED] == [1.0]
    assert emitted[Metric.CLIENT_ERRORS] == [1.0]
    assert Metric.SERVER_ERRORS not in emitted


def test_a_gateway_route_logs_the_connections_user_and_counts_error_frames(
    output: Output, lambda_context: FakeLambdaContext
) -> None:
    event = load_event("ws-connect.json")
    event["requestContext"]["authorizer"] = {"principalId": "42", "user_id": "42"}
    assert handler_for("ConnectFunction")(event, lambda_context) == {"statusCode": 200}
    (connected,) = [log for log in output.logs(output.lines()) if log["message"] == "connected"]
    assert connected["route"] == "$connect"
    assert connected["user_id"] == "42"
    assert connected["correlation_id"] == event["requestContext"]["requestId"]

    bad = load_event("ws-heartbeat.json", body='{"op":42,"d":null}')
    bad["requestContext"]["authorizer"] = {"principalId": "42", "user_id": "42"}
    handler_for("DefaultFunction")(bad, lambda_context)
    assert output.emitted(output.lines())[Metric.GATEWAY_ERRORS] == [1.0]


def test_fanout_counts_deliveries_gone_connections_and_message_latency(
    output: Output, directory: FakeDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    identify("conn-live")
    gone_session = identify("conn-gone")
    tap = StreamTap()
    tap.read()

    def fake_deliver(deliveries: list[Delivery]) -> list[PostResult]:
        return [
            PostResult(
                d.connection_id,
                0 if d.connection_id == "conn-gone" else len(d.frames),
                gone=d.connection_id == "conn-gone",
                failed=False,
            )
            for d in deliveries
        ]

    monkeypatch.setattr(fanout, "deliver", fake_deliver)
    message_id = str(new_id())
    outboxed(GatewayEvent(EventName.MESSAGE_CREATE, 7, {"id": message_id}, channel_id=99))
    FANOUT({"Records": tap.read()}, FakeLambdaContext())  # sequenced into the log
    output.lines()
    FANOUT({"Records": tap.read()}, FakeLambdaContext())  # the log entry, delivered

    lines = output.lines()
    emitted = output.emitted(lines)
    assert emitted[Metric.DELIVERIES] == [1.0]
    assert emitted[Metric.GONE_CONNECTIONS] == [1.0]
    assert Metric.DELIVERY_FAILURES not in emitted
    (latency,) = emitted[Metric.FANOUT_LATENCY]
    assert 0 <= latency < 60_000
    (line,) = [log for log in output.logs(lines) if log["message"] == "fan-out"]
    assert line["route"] == FakeLambdaContext().function_name
    assert "user_id" not in line
    # The 410 let the connection go as its $disconnect would: the session stays resumable.
    assert sessions.get_connection("conn-gone") is None
    detached = sessions.get_session(USER, gone_session)
    assert detached is not None and detached.connection_id is None


@pytest.mark.parametrize(
    ("event", "keys"),
    [
        (
            {
                "requestContext": {
                    "routeKey": "GET /x",
                    "authorizer": {"jwt": {"claims": {"sub": "9"}}},
                }
            },
            {"route": "GET /x", "user_id": "9"},
        ),
        ({"requestContext": {"routeKey": "GET /x"}}, {"route": "GET /x"}),
        (
            {"requestContext": {"routeKey": "$default", "authorizer": {"userId": "5"}}},
            {"route": "$default", "user_id": "5"},
        ),
        ({"Records": []}, {"route": "fn"}),
        ({"source": "aws.events"}, {"route": "fn"}),
        ([], {"route": "fn"}),
    ],
)
def test_invocation_keys(event: Any, keys: dict[str, str]) -> None:
    assert invocation_keys(event, "fn") == keys
