"""The embedded store's Query reads one partition (the same answers as moto's own Query), and its
stream iterators are bounded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import dynamodbstreams_backends

from emulator.motopatch import bounded_iterators, partition_queries
from tests.unit.moto_tables import gsi, pk_sk_table

REGION = "us-east-1"
TABLE = "q"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        pk_sk_table(dynamodb, TABLE, indexes=(gsi("GSI1", "GSI1PK", "GSI1SK"),))
        for p in range(6):
            for s in range(25):
                item = {"PK": {"S": f"P#{p}"}, "SK": {"S": f"S#{s:03d}"}, "n": {"N": str(s)}}
                if s % 3 == 0:  # a sparse index, spread over partitions
                    item |= {"GSI1PK": {"S": f"G#{s % 2}"}, "GSI1SK": {"S": f"{p}-{s:03d}"}}
                dynamodb.put_item(TableName=TABLE, Item=item)
        yield dynamodb


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
    {
        "KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
        "ExpressionAttributeValues": {":p": {"S": "P#2"}, ":s": {"S": "S#01"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b",
        "ExpressionAttributeValues": {
            ":p": {"S": "P#0"},
            ":a": {"S": "S#004"},
            ":b": {"S": "S#020"},
        },
        "Limit": 4,
    },
    (
        EMPTY := {
            "KeyConditionExpression": "PK = :p",
            "ExpressionAttributeValues": {":p": {"S": "none"}},
        }
    ),
    {
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#0"}},
        "Limit": 5,
    },
    {
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :g AND GSI1SK > :k",
        "ExpressionAttributeValues": {":g": {"S": "G#1"}, ":k": {"S": "2-"}},
        "ScanIndexForward": False,
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues_extra": {":n": {"N": "5"}},
    },
]


def _all_pages(client: Any, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every page of a Query, following LastEvaluatedKey."""
    args = {k: v for k, v in query.items() if not k.endswith("_extra")}
    args["ExpressionAttributeValues"] = {
        **query["ExpressionAttributeValues"],
        **query.get("ExpressionAttributeValues_extra", {}),
    }
    pages = []
    start: dict[str, Any] | None = None
    while True:
        answer = client.query(
            TableName=TABLE, **args, **({"ExclusiveStartKey": start} if start else {})
        )
        pages.append(answer["Items"])
        start = answer.get("LastEvaluatedKey")
        if start is None:
            return pages


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_answers_are_moto_own(client: Any, query: dict[str, Any]) -> None:
    expected = _all_pages(client, query)
    with partition_queries():
        assert _all_pages(client, query) == expected
    # Each finds something, but the one of a missing partition (else nothing is compared).
    assert any(expected) is (query is not EMPTY)


def test_a_base_table_query_never_reads_the_whole_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def whole_table(self: Table) -> list[Any]:
        raise AssertionError("the whole table was read")

    monkeypatch.setattr(Table, "all_items", whole_table)
    with partition_queries():
        items = _all_pages(client, QUERIES[0])
    assert len([i for page in items for i in page]) == 25


def test_nested_use_restores_moto_query_once() -> None:
    original = Table.query
    with partition_queries():
        patched = Table.query
        with partition_queries():
            assert Table.query is patched
        assert Table.query is patched
    assert Table.query is original


def test_stream_iterators_are_bounded() -> None:
    """The embedded store keeps the newest iterators only; the newest still read."""
    with mock_aws(), bounded_iterators(max_kept=3):
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="s",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            config=Config(account_id_endpoint_mode="disabled"),
        )
        arn = dynamodb.describe_table(TableName="s")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        seen = 0
        for n in range(10):
            dynamodb.put_item(TableName="s", Item={"PK": {"S": f"k{n}"}})
            page = streams.get_records(ShardIterator=iterator)
            seen += len(page["Records"])
            iterator = page["NextShardIterator"]
        assert seen == 10
        backend = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION]
        assert len(backend.shard_iterators) <= 3
