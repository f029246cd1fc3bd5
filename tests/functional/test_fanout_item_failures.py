"""The fan-out's answer to its event source mapping: the records it could not read, and only
those; the rest of the batch is sequenced, and a retry from the failed record is harmless."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.fanout import app as fanout_app
from shared.gateway.storage import gateway_log
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage.outbox import record_of
from tests.fake_directory import FakeDirectory
from tests.functional.conftest import FakeLambdaContext
from tests.functional.test_gateway_sessions import GUILD, directory

__all__ = ["directory"]


def stream_record(sequence: int, image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": str(sequence),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "SequenceNumber": str(sequence),
        },
    }


def outbox_record(sequence: int, n: int, *, name: str | None = None) -> dict[str, Any]:
    """An outbox item, written to the table, as the stream carries its INSERT; ``name`` writes
    it under an event name this code does not know (as a newer deployment might)."""
    event = GatewayEvent(EventName.MESSAGE_CREATE, GUILD, {"n": n}, channel_id=99)
    item = record_of(event, datetime.now(UTC))
    if name is not None:
        item.event = name
    item.save()
    return stream_record(sequence, item.serialize())


def invoke(records: list[dict[str, Any]]) -> Any:
    return fanout_app.lambda_handler({"Records": records}, cast(LambdaContext, FakeLambdaContext()))


def logged(shard: int = 0) -> list[int]:
    return [e.event.d["n"] for e in gateway_log.read_after(shard, 0, gateway_log.head(shard))]


def test_an_unreadable_event_is_reported_alone_and_the_rest_is_sequenced(
    directory: FakeDirectory,
) -> None:
    batch = [
        outbox_record(101, 1),
        outbox_record(102, 2),
        outbox_record(103, 3, name="FUTURE_EVENT"),
        outbox_record(104, 4),
    ]
    assert invoke(batch) == {"batchItemFailures": [{"itemIdentifier": "103"}]}
    assert logged() == [1, 2, 4]
    # The mapping retries from the failed record: what follows it is not appended again.
    assert invoke(batch[2:]) == {"batchItemFailures": [{"itemIdentifier": "103"}]}
    assert logged() == [1, 2, 4]


def test_a_batch_it_can_read_reports_no_failure(directory: FakeDirectory) -> None:
    assert invoke([outbox_record(201, 1), outbox_record(202, 2)]) == {"batchItemFailures": []}
    assert logged() == [1, 2]


def log_image(position: int, d: str) -> dict[str, Any]:
    return {
        "PK": {"S": "GWLOG#0"},
        "SK": {"S": gateway_log.keys.log_sk(position)},
        "t": {"S": "MESSAGE_CREATE"},
        "scope": {"S": f"g:{GUILD}"},
        "d": {"S": d},
    }


def test_a_damaged_log_entry_is_reported_alone(directory: FakeDirectory) -> None:
    batch = [
        stream_record(301, log_image(1, '{"n": 1}')),
        stream_record(302, log_image(2, "{not json")),
        stream_record(303, log_image(3, '{"n": 3}')),
    ]
    assert invoke(batch) == {"batchItemFailures": [{"itemIdentifier": "302"}]}
