"""The moto speed patch (emulator/motopatch.py) keeps transactions' meaning: all or nothing,
with one rollback copy per table however many items a transaction holds."""

from __future__ import annotations

import copy
import os
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from emulator import motopatch


def put(pk: str, condition: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "TableName": os.environ["PARLEY_TABLE_NAME"],
        "Item": {"PK": {"S": pk}, "SK": {"S": "X"}},
    }
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def keys_present(*pks: str) -> list[str]:
    client = boto3.client("dynamodb")
    table = os.environ["PARLEY_TABLE_NAME"]
    return [
        pk
        for pk in pks
        if "Item" in client.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "X"}})
    ]


def test_a_transaction_copies_each_table_once_and_still_rolls_back(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[Any] = []

    def counting(obj: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(obj, Table):
            copies.append(obj)
        return copy.deepcopy(obj, memo)

    monkeypatch.setattr(motopatch, "copy", SimpleNamespace(deepcopy=counting, copy=copy.copy))
    client = boto3.client("dynamodb")
    client.transact_write_items(TransactItems=[put(f"ok{n}") for n in range(5)])
    assert len(copies) == 1  # moto alone: one per item
    assert keys_present(*(f"ok{n}" for n in range(5))) == [f"ok{n}" for n in range(5)]

    failing = [put("a"), put("b"), put("ok0", "attribute_not_exists(PK)")]
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=failing)
    assert keys_present("a", "b") == []  # nothing of a cancelled transaction
    assert len(copies) == 2
