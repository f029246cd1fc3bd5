"""The table's answer parser gives exactly what botocore's own parser gives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from shared.table.item_values import use_table_answer_parser
from tests.unit.moto_tables import EVERY_TYPE, pk_sk_table

REGION = "eu-west-1"
TABLE = "answers"

ITEM: dict[str, Any] = {"PK": {"S": "P"}, "SK": {"S": "1"}, **EVERY_TYPE}


def _client(fast: bool) -> Any:
    session = botocore.session.get_session()
    if fast:
        use_table_answer_parser(session)
    client = session.create_client(
        "dynamodb",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        stock = _client(fast=False)
        pk_sk_table(stock, TABLE)
        stock.put_item(TableName=TABLE, Item=ITEM)
        stock.put_item(TableName=TABLE, Item={**ITEM, "SK": {"S": "2"}})
        yield stock, _client(fast=True)


def _answer(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        answer = call()
    except ClientError as exc:
        answer = dict(exc.response)
    answer.pop("ResponseMetadata", None)
    return answer


KEY = {"PK": {"S": "P"}, "SK": {"S": "1"}}
CALLS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "get": lambda c: c.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True),
    "projected": lambda c: c.get_item(
        TableName=TABLE, Key=KEY, ProjectionExpression="m.inner, b, ns"
    ),
    "query": lambda c: c.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "P"}},
    ),
    "scan": lambda c: c.scan(TableName=TABLE),
    "batch": lambda c: c.batch_get_item(
        RequestItems={TABLE: {"Keys": [KEY, {"PK": {"S": "P"}, "SK": {"S": "2"}}]}}
    ),
    "transact get": lambda c: c.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": KEY}}]
    ),
    "update": lambda c: c.update_item(
        TableName=TABLE,
        Key=KEY,
        UpdateExpression="SET s = :s",
        ExpressionAttributeValues={":s": {"S": "héllo 👋"}},
        ReturnValues="ALL_NEW",
    ),
    "put returning old": lambda c: c.put_item(TableName=TABLE, Item=ITEM, ReturnValues="ALL_OLD"),
    "cancelled transaction": lambda c: c.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": KEY,
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
    ),
    "failed condition": lambda c: c.put_item(
        TableName=TABLE,
        Item=ITEM,
        ConditionExpression="attribute_not_exists(PK)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    ),
    "describe (no item values)": lambda c: c.describe_table(TableName=TABLE),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_answer_is_botocores(clients: tuple[Any, Any], name: str) -> None:
    stock, fast = clients
    call = CALLS[name]
    expected = _answer(lambda: call(stock))
    assert _answer(lambda: call(fast)) == expected
    assert expected  # the call answered something to compare


def test_every_attribute_type_round_trips(clients: tuple[Any, Any]) -> None:
    _, fast = clients
    assert fast.get_item(TableName=TABLE, Key=KEY)["Item"] == ITEM


def test_item_values_take_the_shortcut(clients: tuple[Any, Any], values_read: list[Any]) -> None:
    _, fast = clients
    fast.get_item(TableName=TABLE, Key=KEY)
    assert len(values_read) == len(ITEM) + 7  # each value, and the 7 inside maps and lists
