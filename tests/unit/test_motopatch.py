"""The embedded store's cheap transaction rollback: moto's answers unchanged, nothing copied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from emulator.motopatch import cheap_transactions
from tests.unit.moto_tables import STREAM, pk_sk_table

REGION = "us-east-1"
TABLE = "t"


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws(), cheap_transactions():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        pk_sk_table(dynamodb, TABLE, StreamSpecification=STREAM)
        yield dynamodb


def _key(pk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": "x"}}


def _table() -> Table:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE]


def _stream_records(dynamodb: Any) -> list[str]:
    shard = _table().stream_shard
    assert shard is not None
    return [record.to_json()["eventName"] for record in shard.items]


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**_key("kept"), "n": {"N": "1"}})
    table = _table()
    with pytest.raises(ClientError) as err:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("new"), "n": {"N": "2"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("kept"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "9"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("absent"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in client.get_item(TableName=TABLE, Key=_key("new"))
    assert client.get_item(TableName=TABLE, Key=_key("kept"))["Item"]["n"] == {"N": "1"}
    assert _stream_records(client) == ["INSERT"]
    # The live table was never swapped for a copy (stream readers keep their shard).
    assert _table() is table


def test_a_committed_transaction_writes_and_streams_every_item(client: Any) -> None:
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _key("a")}},
            {"Put": {"TableName": TABLE, "Item": _key("b")}},
        ]
    )
    client.transact_write_items(TransactItems=[{"Delete": {"TableName": TABLE, "Key": _key("a")}}])
    assert "Item" not in client.get_item(TableName=TABLE, Key=_key("a"))
    assert "Item" in client.get_item(TableName=TABLE, Key=_key("b"))
    assert _stream_records(client) == ["INSERT", "INSERT", "REMOVE"]


def test_a_cancelled_delete_puts_the_item_back(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**_key("a"), "n": {"N": "1"}})
    with pytest.raises(ClientError):
        client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": TABLE, "Key": _key("a")}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": _key("a2"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )
    assert client.get_item(TableName=TABLE, Key=_key("a"))["Item"]["n"] == {"N": "1"}
    assert len(_stream_records(client)) == 1


def test_a_repeated_client_token_succeeds_without_writing_again(client: Any) -> None:
    """As DynamoDB: botocore repeats a transaction whose answer timed out, under its token."""
    items = [
        {
            "Put": {
                "TableName": TABLE,
                "Item": _key("once"),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
    ]
    client.transact_write_items(TransactItems=items, ClientRequestToken="t-1")
    client.transact_write_items(TransactItems=items, ClientRequestToken="t-1")  # no error
    assert _stream_records(client) == ["INSERT"]
    with pytest.raises(ClientError) as again:  # a new token: the condition holds it back
        client.transact_write_items(TransactItems=items, ClientRequestToken="t-2")
    assert again.value.response["Error"]["Code"] == "TransactionCanceledException"
    other = [{"Put": {"TableName": TABLE, "Item": _key("other")}}]
    with pytest.raises(ClientError) as mismatch:
        client.transact_write_items(TransactItems=other, ClientRequestToken="t-1")
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"


def test_nested_use_patches_once(client: Any) -> None:
    """The functional tests hold the patch for the whole session; a test may open it again."""
    with cheap_transactions(), cheap_transactions():
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": _key("n")}}]
        )
    client.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": _key("m")}}])
    assert _stream_records(client) == ["INSERT", "INSERT"]
