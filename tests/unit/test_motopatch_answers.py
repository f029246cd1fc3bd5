"""The embedded store's plain JSON answers: what clients parse is what moto's serializer gave."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from emulator.motopatch import plain_json_answers
from tests.unit.moto_tables import EVERY_TYPE, STREAM, pk_sk_table

REGION = "us-east-1"
TABLE = "a"

ITEM: dict[str, Any] = {"PK": {"S": "P#1"}, "SK": {"S": "S#1"}, **EVERY_TYPE}


def _key(n: int) -> dict[str, Any]:
    return {"PK": {"S": "P#1"}, "SK": {"S": f"S#{n}"}}


@contextmanager
def _store() -> Iterator[Any]:
    """A fresh in-memory store with the table (each run answers from the same state)."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        pk_sk_table(dynamodb, TABLE, StreamSpecification=STREAM)
        yield dynamodb


@pytest.fixture
def client() -> Iterator[Any]:
    with _store() as dynamodb:
        yield dynamodb


def _calls(n: int) -> list[tuple[str, dict[str, Any]]]:
    """One of each operation the patch answers; ``n`` keeps each run's writes apart."""
    item = {**ITEM, **_key(n)}
    update = "SET s = :s, m.deep[0] = :x ADD ns :ns"
    values = {":s": {"S": "new"}, ":x": {"S": "y"}, ":ns": {"NS": ["9"]}}
    return [
        ("put_item", {"Item": item, "ReturnValues": "ALL_OLD"}),
        ("put_item", {"Item": item, "ReturnValues": "ALL_OLD"}),
        ("get_item", {"Key": _key(n), "ConsistentRead": True}),
        ("get_item", {"Key": _key(10_000 + n)}),  # missing: no Item member at all
        ("get_item", {"Key": _key(n), "ProjectionExpression": "m.deep, ss"}),
        (
            "update_item",
            {
                "Key": _key(n),
                "UpdateExpression": update,
                "ExpressionAttributeValues": values,
                "ReturnValues": "ALL_NEW",
            },
        ),
        (
            "query",
            {
                "KeyConditionExpression": "PK = :p",
                "ExpressionAttributeValues": {":p": {"S": "P#1"}},
                "Limit": 1,
            },
        ),
        (
            "query",
            {
                "KeyConditionExpression": "PK = :p",
                "ExpressionAttributeValues": {":p": {"S": "P#1"}},
                "Select": "COUNT",
            },
        ),
        ("scan", {"Limit": 1}),
        ("delete_item", {"Key": _key(n), "ReturnValues": "ALL_OLD"}),
    ]


def _answers(client: Any, n: int) -> list[Any]:
    answers: list[Any] = []
    for name, args in _calls(n):
        call: Callable[..., dict[str, Any]] = getattr(client, name)
        answer = call(TableName=TABLE, **args)
        answer.pop("ResponseMetadata")
        answers.append(answer)
    batch = client.batch_get_item(
        RequestItems={TABLE: {"Keys": [_key(1_000 + n), _key(2_000 + n)], "ConsistentRead": True}}
    )
    batch.pop("ResponseMetadata")
    client.put_item(TableName=TABLE, Item={**ITEM, **_key(1_000 + n)})
    answers.append(batch)
    tx = client.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": _key(1_000 + n)}}]
    )
    tx.pop("ResponseMetadata")
    answers.append(tx)
    return answers


def test_answers_parse_as_the_serializer_answers() -> None:
    with _store() as client:
        expected = _answers(client, 1)
    with _store() as client, plain_json_answers():
        got = _answers(client, 1)
    assert got == expected
    assert expected[2]["Item"]["b"] == EVERY_TYPE["b"]
    assert "Item" not in expected[3] and expected[-2]["Responses"] == {TABLE: []}


def test_errors_still_go_through_the_serializer(client: Any) -> None:
    client.put_item(TableName=TABLE, Item=ITEM)
    refusal = client.exceptions.ConditionalCheckFailedException
    with plain_json_answers(), pytest.raises(refusal) as refused:
        client.put_item(TableName=TABLE, Item=ITEM, ConditionExpression="attribute_not_exists(PK)")
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_nested_use_restores_once() -> None:
    before = DynamoResult.__dict__.get("execute_result")
    records = DynamoDBStreamsHandler.get_records
    with plain_json_answers():
        assert DynamoDBStreamsHandler.get_records is not records
        patched = DynamoResult.execute_result
        with plain_json_answers():
            assert DynamoResult.execute_result is patched
        assert DynamoResult.execute_result is patched
    assert DynamoResult.__dict__.get("execute_result") is before
    assert DynamoDBStreamsHandler.get_records is records


def _stream_records(client: Any) -> list[dict[str, Any]]:
    """GetRecords of the table's stream, from its start."""
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    answer: dict[str, Any] = dict(streams.get_records(ShardIterator=iterator))
    return list(answer["Records"])


def test_stream_records_parse_as_the_serializer_answers() -> None:
    with _store() as client:
        _answers(client, 1)
        expected = _stream_records(client)
    with _store() as client, plain_json_answers():
        _answers(client, 1)
        got = _stream_records(client)
    assert [r["eventName"] for r in expected] == ["INSERT", "MODIFY", "MODIFY", "REMOVE", "INSERT"]

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        created = record["dynamodb"].pop("ApproximateCreationDateTime")
        assert isinstance(created, datetime) and created.tzinfo is not None
        assert abs((created - datetime.now(UTC)).total_seconds()) < 60  # when it was written
        # moto's SizeBytes estimate varies by a byte or two from run to run (unpatched too)
        assert record["dynamodb"].pop("SizeBytes") > 0
        return {k: v for k, v in record.items() if k != "eventID"}  # a random id

    assert [comparable(r) for r in got] == [comparable(r) for r in expected]
