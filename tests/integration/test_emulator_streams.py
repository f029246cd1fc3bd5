"""The stream pump: table changes reach the mapped function as Lambda's DynamoDB events."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.eventshape import missing_paths, reference
from tests.integration.stackproc import StackProcess, wait_for

pytestmark = pytest.mark.integration


def delivered(stack: StackProcess, kind: str = "stream") -> list[dict[str, Any]]:
    """Every record delivered so far, in delivery order."""
    path = Path(stack.env["FIXTURE_RECORD_DIR"]) / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [r for line in path.read_text().splitlines() for r in json.loads(line)["Records"]]


def table(stack: StackProcess) -> Any:
    return stack.store_resource("dynamodb").Table("parley-local-Table")


def pks(records: list[dict[str, Any]], prefix: str) -> list[str]:
    return [
        r["dynamodb"]["Keys"]["PK"]["S"]
        for r in records
        if r["dynamodb"]["Keys"]["PK"]["S"].startswith(prefix)
    ]


def test_insert_and_modify_arrive_as_lambda_stream_records(fixture_stack: StackProcess) -> None:
    pk = f"shape-{uuid.uuid4().hex}"
    items = table(fixture_stack)
    items.put_item(Item={"PK": pk, "SK": "A", "Message": "New item!"})
    items.put_item(Item={"PK": pk, "SK": "A", "Message": "This item has changed"})
    records = wait_for(
        lambda: (
            [r for r in delivered(fixture_stack) if r["dynamodb"]["Keys"]["PK"]["S"] == pk]
            if len(pks(delivered(fixture_stack), pk)) >= 2
            else None
        ),
        30,
        "two stream records",
    )
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    insert_reference, modify_reference = reference("dynamodb-stream.json")["Records"]
    for record in records:
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventSourceARN"].startswith("arn:aws:dynamodb:")
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert missing_paths(records[0], insert_reference) == set()
    assert missing_paths(records[1], modify_reference) == set()
    modify = records[1]
    assert modify["dynamodb"]["OldImage"]["Message"] == {"S": "New item!"}
    assert modify["dynamodb"]["NewImage"]["Message"] == {"S": "This item has changed"}


def test_failed_batch_is_retried_and_order_is_kept(fixture_stack: StackProcess) -> None:
    run = uuid.uuid4().hex[:8]
    items = table(fixture_stack)
    names = [f"order-{run}-{i:02d}" for i in range(25)]
    for i, name in enumerate(names):
        item: dict[str, Any] = {"PK": name, "SK": "A"}
        if i == 7:
            item["fail_times"] = 2
        items.put_item(Item=item)
    wait_for(
        lambda: len(pks(delivered(fixture_stack), f"order-{run}")) == len(names),
        60,
        "all 25 records delivered",
    )
    assert pks(delivered(fixture_stack), f"order-{run}") == names  # in order, exactly once
    failed_batches = [
        pks([r], f"order-{run}")
        for r in delivered(fixture_stack, "stream-failed")
        if r["dynamodb"]["Keys"]["PK"]["S"] == names[7]
    ]
    assert len(failed_batches) == 2  # failed twice, then delivered
