"""A DynamoDB Streams GetRecords record, as Lambda's event source mapping delivers it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from emulator.streams import lambda_record
from tests.eventshape import dotted, key_paths, reference

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"


def _get_records_record(delivered: dict[str, Any]) -> dict[str, Any]:
    """What GetRecords returns for a record Lambda delivered: no source ARN, boto3 datetimes."""
    record = copy.deepcopy(delivered)
    del record["eventSourceARN"]
    dynamodb = record["dynamodb"]
    if "ApproximateCreationDateTime" in dynamodb:
        seconds = dynamodb["ApproximateCreationDateTime"]
        dynamodb["ApproximateCreationDateTime"] = datetime.fromtimestamp(seconds, UTC)
    return record


@pytest.mark.parametrize("index", [0, 1])
def test_lambda_record_matches_the_reference(index: int) -> None:
    delivered = reference("dynamodb-stream.json")["Records"][index]
    built = lambda_record(_get_records_record(delivered), ARN)

    missing = key_paths(delivered) - key_paths(built)
    assert not missing, dotted(missing)
    assert built == {**delivered, "eventSourceARN": ARN}


@pytest.mark.parametrize(
    ("created", "seconds"),
    [
        (datetime(2023, 9, 6, 10, 45, 55, tzinfo=UTC), 1693997155.0),
        # sub-second parts are dropped: Lambda delivers whole seconds
        (datetime(2023, 9, 6, 10, 45, 55, 900_000, tzinfo=UTC), 1693997155.0),
        (datetime(2023, 9, 6, 12, 45, 55, tzinfo=timezone(timedelta(hours=2))), 1693997155.0),
        (1693997155.0, 1693997155.0),  # already a number: left alone
    ],
)
def test_creation_time_is_epoch_seconds(created: Any, seconds: float) -> None:
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": created, "SequenceNumber": "1"},
    }
    built = lambda_record(record, ARN)
    value = built["dynamodb"]["ApproximateCreationDateTime"]
    assert value == seconds
    assert isinstance(value, float)


def test_defaults_and_source() -> None:
    record = {"eventID": "e", "eventName": "REMOVE", "dynamodb": {"Keys": {"PK": {"S": "x"}}}}
    built = lambda_record(record, ARN)
    assert built == {
        "eventID": "e",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": None,
        "dynamodb": {"Keys": {"PK": {"S": "x"}}},
        "eventSourceARN": ARN,
    }


def test_the_get_records_record_is_not_changed() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    record = {
        "eventID": "e",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "dynamodb": {"ApproximateCreationDateTime": when},
    }
    original = copy.deepcopy(record)
    lambda_record(record, ARN)
    assert record == original
