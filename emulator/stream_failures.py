"""What a DynamoDB event source mapping sends to its on-failure destination.

When Lambda gives up on stream records (retries exhausted, or records older than the mapping's
maximum age) it sends an *invocation record* to the destination: metadata about the batch, not
the records themselves (``DDBStreamBatchInfo``: the shard, the first and last sequence numbers,
the batch's size and arrival times, the stream's ARN). Whoever handles it reads the records
back from the stream while the stream still keeps them (24 hours). The emulator sends exactly
this shape, and ``parley replay-stream-failures`` reads it, locally and on AWS alike.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AGE_EXCEEDED",
    "RETRIES_EXHAUSTED",
    "BatchInfo",
    "NotABatchFailure",
    "failure_record",
]

#: ``requestContext.condition``: why Lambda gave up on the batch.
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
AGE_EXCEEDED = "RecordAgeExceeded"


class NotABatchFailure(ValueError):
    """A message that is not a stream mapping's invocation record."""


def _iso_seconds(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class BatchInfo:
    """``DDBStreamBatchInfo``: which records of which shard were given up on."""

    stream_arn: str
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    batch_size: int

    @classmethod
    def from_message(cls, body: str) -> BatchInfo:
        """The batch an on-failure message describes (:class:`NotABatchFailure` otherwise)."""
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            return cls(
                stream_arn=str(info["streamArn"]),
                shard_id=str(info["shardId"]),
                start_sequence_number=str(info["startSequenceNumber"]),
                end_sequence_number=str(info["endSequenceNumber"]),
                batch_size=int(info["batchSize"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise NotABatchFailure(f"not a DynamoDB stream batch failure: {exc}") from exc

    def holds(self, sequence_number: str) -> bool:
        """Whether a record of the shard lies in this batch's range (sequence numbers are
        decimal strings of growing value, not of fixed width)."""
        return (
            int(self.start_sequence_number) <= int(sequence_number) <= int(self.end_sequence_number)
        )


def failure_record(
    *,
    function_arn: str,
    condition: str,
    invoke_count: int,
    function_error: str | None,
    shard_id: str,
    records: Sequence[dict[str, Any]],
    now: float,
) -> dict[str, Any]:
    """The invocation record Lambda sends for ``records`` (as delivered: Lambda's shape)."""
    first, last = records[0], records[-1]
    record: dict[str, Any] = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
    }
    if invoke_count:
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error is not None:
            response["functionError"] = function_error
        record["responseContext"] = response
    record["version"] = "1.0"
    record["timestamp"] = (
        datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    )
    record["DDBStreamBatchInfo"] = {
        "shardId": shard_id,
        "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
        "approximateArrivalOfFirstRecord": _iso_seconds(
            float(first["dynamodb"].get("ApproximateCreationDateTime", now))
        ),
        "approximateArrivalOfLastRecord": _iso_seconds(
            float(last["dynamodb"].get("ApproximateCreationDateTime", now))
        ),
        "batchSize": len(records),
        "streamArn": first["eventSourceARN"],
    }
    return record
