"""The replay command's core: a failure queue's batches read back from the stream (moto, in
process), given to the consumer, and deleted only when it finished them (the deployed
function's invocation over HTTP is in ``tests/functional/test_replay_invoke.py``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from emulator.replay import ReplayFailed, read_range, replay_queue
from emulator.stream_failures import RETRIES_EXHAUSTED, BatchInfo, failure_record
from emulator.streams import lambda_record
from emulator.template import StreamMapping

REGION = "us-east-1"
MAPPING = StreamMapping(table_id="T", function_id="F", report_item_failures=True)


class Consumer:
    """The consumer, as a script: the events it got, and what it answers."""

    def __init__(self, answer: Any = None, error: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self._answer = answer
        self._error = error

    async def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self._error:
            raise ReplayFailed("the consumer failed")
        return self._answer


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str, list[dict[str, Any]], str]]:
    """A table with a stream holding 5 inserts, and an empty queue: (sqs, streams, queue URL,
    the stream's records, its shard id)."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        stream_arn = dynamodb.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        for i in range(5):
            dynamodb.put_item(TableName="t", Item={"PK": {"S": f"item-{i}"}})
        # Account-based endpoints are AWS's, not moto's in-process routes.
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        shard_id = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = [
            lambda_record(dict(r), stream_arn)
            for r in streams.get_records(ShardIterator=iterator)["Records"]
        ]
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="failures")["QueueUrl"]
        yield sqs, streams, url, records, shard_id


def send_failure(sqs: Any, url: str, shard_id: str, records: list[dict[str, Any]]) -> str:
    body = failure_record(
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:F",
        condition=RETRIES_EXHAUSTED,
        invoke_count=3,
        function_error="Unhandled",
        shard_id=shard_id,
        records=records,
        now=1_800_000_000.0,
    )
    return str(sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))["MessageId"])


def left(sqs: Any, url: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["MessageId"] for m in got.get("Messages", [])]


def replay(sqs: Any, streams: Any, url: str, consumer: Consumer) -> Any:
    return asyncio.run(
        replay_queue(
            sqs=sqs,
            streams=streams,
            queue_url=url,
            invoker=consumer,
            mapping=MAPPING,
            visibility_timeout_s=0,
        )
    )


def test_a_batch_is_replayed_exactly_and_its_message_deleted(aws: Any) -> None:
    sqs, streams, url, records, shard_id = aws
    send_failure(sqs, url, shard_id, records[1:4])
    garbage = str(sqs.send_message(QueueUrl=url, MessageBody="not json")["MessageId"])
    consumer = Consumer(answer={"batchItemFailures": []})
    report = replay(sqs, streams, url, consumer)
    (event,) = consumer.events
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"]] == [
        "item-1",
        "item-2",
        "item-3",
    ]
    assert all(r["eventSource"] == "aws:dynamodb" for r in event["Records"])
    assert (report.replayed, report.records, report.failed) == (1, 3, [garbage])
    assert left(sqs, url) == [garbage]  # what is not a batch failure stays, for a person


@pytest.mark.parametrize(
    "consumer",
    [Consumer(error=True), Consumer(answer={"batchItemFailures": [{"itemIdentifier": "x"}]})],
    ids=["function error", "item failure"],
)
def test_a_batch_the_consumer_fails_stays_in_the_queue(aws: Any, consumer: Consumer) -> None:
    sqs, streams, url, records, shard_id = aws
    message = send_failure(sqs, url, shard_id, records[2:3])
    report = replay(sqs, streams, url, consumer)
    assert len(consumer.events) == 1  # once per run, though it is visible again at once
    assert report.failed == [message] and not report.ok
    assert left(sqs, url) == [message]


def test_a_range_the_stream_no_longer_holds_whole_is_refused(aws: Any) -> None:
    _, streams, _, records, shard_id = aws
    beyond = int(records[-1]["dynamodb"]["SequenceNumber"]) + 1000
    info = BatchInfo(
        records[0]["eventSourceARN"],
        shard_id,
        records[3]["dynamodb"]["SequenceNumber"],
        str(beyond),
        2,
    )
    with pytest.raises(ReplayFailed, match="no longer holds"):
        read_range(streams, info)
