"""The deployed stream mappings, read from the transformed template (SAM, offline): failures are
bounded and land in a queue of the same stack that the consumer may send to."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_template_sam import transformed

__all__ = ["transformed"]

#: DynamoDB Streams keep a record 24 hours: a record given up on must leave time to replay it.
STREAM_RETENTION_S = 24 * 3600
FOURTEEN_DAYS_S = 14 * 24 * 3600


def _mappings(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The stream event source mappings, by the logical id of the function they invoke."""
    return {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    }


def _statements(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role_id = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    return [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def test_every_stream_consumer_is_mapped(transformed: dict[str, Any]) -> None:
    assert set(_mappings(transformed)) == {
        "FanoutFunction",
        "GuildStreamFunction",
        "UnfurlFunction",
    }


@pytest.mark.parametrize("function_id", ["FanoutFunction", "GuildStreamFunction", "UnfurlFunction"])
def test_a_failing_batch_is_split_reported_and_bounded(
    transformed: dict[str, Any], function_id: str
) -> None:
    mapping = _mappings(transformed)[function_id]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert "ReportBatchItemFailures" in mapping["FunctionResponseTypes"]
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    # -1 (the default) would retry a poison record until the stream drops it, a day later.
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= STREAM_RETENTION_S // 4


@pytest.mark.parametrize("function_id", ["FanoutFunction", "GuildStreamFunction", "UnfurlFunction"])
def test_what_is_given_up_on_goes_to_a_queue_the_consumer_may_send_to(
    transformed: dict[str, Any], function_id: str
) -> None:
    destination = _mappings(transformed)[function_id]["DestinationConfig"]["OnFailure"][
        "Destination"
    ]
    queue_id, attribute = destination["Fn::GetAtt"]
    assert attribute == "Arn"
    queue = transformed["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert "Condition" not in queue  # exists in every deployment
    assert queue["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS_S
    assert queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get(
        "KmsMasterKeyId"
    )
    allowed = [
        s
        for s in _statements(transformed, function_id)
        if s["Effect"] == "Allow"
        and "sqs:SendMessage" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        and destination in ([s["Resource"]] if isinstance(s["Resource"], dict) else s["Resource"])
    ]
    assert allowed, f"{function_id}'s role may not send to {queue_id}"


def test_each_consumer_has_its_own_queue(transformed: dict[str, Any]) -> None:
    queues = [
        m["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for m in _mappings(transformed).values()
    ]
    assert len(set(queues)) == len(queues)
