"""The stream pump's failure handling at its edges: retries, bisecting, item failures, record
age, and the on-failure destination (an SQS queue of moto's, in process)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator.runtime import FunctionError, Invocation
from emulator.streams import StreamPump
from emulator.template import QueueSpec, StreamMapping, TemplateError, load_template

STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-07T00:00:00.000"
NOW = 1_800_000_000.0
QUEUE = QueueSpec("FailuresQueue", "parley-local-FailuresQueue")


def record(i: int, *, age_s: float = 1.0, poison: bool = False) -> dict[str, Any]:
    image: dict[str, Any] = {"PK": {"S": f"item-{i}"}}
    if poison:
        image["poison"] = {"BOOL": True}
    return {
        "eventID": str(i),
        "eventName": "INSERT",
        "eventSourceARN": STREAM_ARN,
        "dynamodb": {
            "Keys": {"PK": {"S": f"item-{i}"}},
            "NewImage": image,
            "SequenceNumber": str(1000 + i),
            "ApproximateCreationDateTime": NOW - age_s,
        },
    }


class FakeRuntimes:
    """The function, as a script: what each invocation gets, and what it answers."""

    def __init__(self, answer: Callable[[list[dict[str, Any]], int], Any]) -> None:
        self.calls: list[list[str]] = []
        self._answer = answer

    async def invoke(self, function_id: str, event: Any) -> Invocation:
        records = event["Records"]
        self.calls.append([r["dynamodb"]["SequenceNumber"] for r in records])
        return Invocation("req", self._answer(records, len(self.calls)), 1.0)


def fails_on_poison(records: list[dict[str, Any]], call: int) -> Any:
    if any("poison" in r["dynamodb"]["NewImage"] for r in records):
        raise FunctionError("F", "RuntimeError", "poison")
    return None


def reports_poison(records: list[dict[str, Any]], call: int) -> Any:
    return {
        "batchItemFailures": [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in records
            if "poison" in r["dynamodb"]["NewImage"]
        ]
    }


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def run(
    runtimes: FakeRuntimes, mapping: StreamMapping, batch: list[dict[str, Any]]
) -> tuple[StreamPump, list[dict[str, Any]]]:
    """Deliver one batch; the pump and the messages its destination received."""
    pump = StreamPump(
        [mapping],
        {},
        runtimes,  # type: ignore[arg-type]
        endpoint_url=None,
        region="us-east-1",
        retry_backoff_s=0,
        clock=lambda: NOW,
    )

    async def go() -> None:
        await pump.prepare_destinations()
        await pump.deliver(mapping, batch, "shardId-1")

    asyncio.run(go())
    messages: list[dict[str, Any]] = []
    if mapping.on_failure is not None:
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.get_queue_url(QueueName=mapping.on_failure.name)["QueueUrl"]
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            for message in got:
                messages.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return pump, messages


def mapping(**kwargs: Any) -> StreamMapping:
    return StreamMapping(table_id="T", function_id="F", on_failure=QUEUE, **kwargs)


def test_gives_up_after_exactly_maximum_retry_attempts(aws: None) -> None:
    runtimes = FakeRuntimes(fails_on_poison)
    pump, messages = run(runtimes, mapping(maximum_retry_attempts=3), [record(1, poison=True)])
    assert len(runtimes.calls) == 4  # the first invocation and 3 retries
    assert pump.stats.retries == 3
    (message,) = messages
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 4
    assert message["responseContext"]["functionError"] == "Unhandled"
    assert (pump.stats.to_destination, pump.stats.failure_messages, pump.stats.dropped) == (1, 1, 0)


def test_success_on_the_last_allowed_retry_is_delivered(aws: None) -> None:
    runtimes = FakeRuntimes(
        lambda records, call: fails_on_poison(records, call) if call <= 3 else None
    )
    pump, messages = run(runtimes, mapping(maximum_retry_attempts=3), [record(1, poison=True)])
    assert len(runtimes.calls) == 4
    assert messages == []
    assert (pump.stats.records, pump.stats.to_destination) == (1, 0)


def test_zero_retries_gives_up_at_the_first_failure(aws: None) -> None:
    runtimes = FakeRuntimes(fails_on_poison)
    _pump, messages = run(runtimes, mapping(maximum_retry_attempts=0), [record(1, poison=True)])
    assert len(runtimes.calls) == 1
    assert messages[0]["requestContext"]["approximateInvokeCount"] == 1


def test_bisecting_isolates_the_poison_without_spending_retries(aws: None) -> None:
    runtimes = FakeRuntimes(fails_on_poison)
    batch = [record(i, poison=i == 5) for i in range(8)]
    pump, messages = run(runtimes, mapping(maximum_retry_attempts=1, bisect_on_error=True), batch)
    (message,) = messages
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("1005", "1005")
    assert info["batchSize"] == 1
    assert info["shardId"] == "shardId-1" and info["streamArn"] == STREAM_ARN
    assert message["requestContext"]["approximateInvokeCount"] == 2  # alone: once + 1 retry
    delivered = [s for call in runtimes.calls if "1005" not in call for s in call]
    assert delivered == [str(1000 + i) for i in range(8) if i != 5]  # in order, once each
    assert pump.stats.records == 7 and pump.stats.retries == 1


def test_item_failures_retry_from_the_first_failed_record(aws: None) -> None:
    runtimes = FakeRuntimes(reports_poison)
    batch = [record(i, poison=i == 3) for i in range(6)]
    pump, messages = run(
        runtimes,
        mapping(maximum_retry_attempts=2, report_item_failures=True, bisect_on_error=True),
        batch,
    )
    assert runtimes.calls[0] == [str(1000 + i) for i in range(6)]
    assert runtimes.calls[1:] == [["1003", "1004", "1005"]] * 2
    (message,) = messages
    info = message["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "1003",
        "1005",
        3,
    )
    assert "functionError" not in message["responseContext"]
    assert pump.stats.records == 3 and pump.stats.to_destination == 3


def test_item_failures_are_ignored_unless_the_mapping_asks_for_them(aws: None) -> None:
    runtimes = FakeRuntimes(reports_poison)
    pump, messages = run(runtimes, mapping(maximum_retry_attempts=2), [record(1, poison=True)])
    assert len(runtimes.calls) == 1 and messages == []
    assert pump.stats.records == 1


def test_records_older_than_the_maximum_age_are_not_delivered(aws: None) -> None:
    runtimes = FakeRuntimes(lambda records, call: None)
    batch = [record(1, age_s=61), record(2, age_s=60), record(3, age_s=5)]
    _pump, messages = run(runtimes, mapping(maximum_record_age_s=60), batch)
    assert runtimes.calls == [["1002", "1003"]]  # exactly 60 s old is not older than 60 s
    (message,) = messages
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in message
    assert message["DDBStreamBatchInfo"]["startSequenceNumber"] == "1001"
    assert message["DDBStreamBatchInfo"]["batchSize"] == 1


def test_a_retried_record_that_ages_past_the_maximum_goes_to_the_destination(
    aws: None,
) -> None:
    now = [NOW]
    runtimes = FakeRuntimes(fails_on_poison)
    the_mapping = mapping(maximum_record_age_s=60)  # retried forever, but only while young
    pump = StreamPump(
        [the_mapping],
        {},
        runtimes,  # type: ignore[arg-type]
        endpoint_url=None,
        region="us-east-1",
        retry_backoff_s=0,
        clock=lambda: now[0],
    )
    original = runtimes._answer

    def aging(records: list[dict[str, Any]], call: int) -> Any:
        now[0] += 20  # each attempt takes 20 s
        return original(records, call)

    runtimes._answer = aging

    async def go() -> None:
        await pump.prepare_destinations()
        await pump.deliver(the_mapping, [record(1, poison=True)], "shardId-1")

    asyncio.run(go())
    # 1 s old, then 21, 41, 61: the fourth attempt never happens.
    assert len(runtimes.calls) == 3
    assert (pump.stats.to_destination, pump.stats.retries) == (1, 3)


def test_without_a_destination_what_is_given_up_on_is_counted_dropped() -> None:
    runtimes = FakeRuntimes(fails_on_poison)
    no_destination = StreamMapping(table_id="T", function_id="F", maximum_retry_attempts=1)
    pump, _messages = run(runtimes, no_destination, [record(1, poison=True), record(2)])
    assert (pump.stats.dropped, pump.stats.to_destination, pump.stats.records) == (2, 0, 0)


def test_the_destination_must_be_a_queue_of_the_template(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]
      KeySchema: [{AttributeName: PK, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Failures:
    Type: AWS::SQS::Queue
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Events:
        S:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            MaximumRetryAttempts: 4
            MaximumRecordAgeInSeconds: 120
            DestinationConfig: {OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}}
"""
    )
    (mapping_,) = load_template(path, stack_name="s").stream_mappings
    assert mapping_.on_failure == QueueSpec("Failures", "s-Failures")
    assert (mapping_.maximum_retry_attempts, mapping_.maximum_record_age_s) == (4, 120)
    path.write_text(path.read_text().replace("!GetAtt Failures.Arn", "!GetAtt Table.Arn"))
    with pytest.raises(TemplateError, match=r"Consumer\.S: DestinationConfig\.OnFailure"):
        load_template(path, stack_name="s")
