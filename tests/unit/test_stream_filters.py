"""The event source mappings' FilterCriteria: what the stream consumers are (not) invoked for."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.filters import RecordFilter
from emulator.template import StreamMapping, load_template
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage.outbox import record_of
from shared.table import keys
from tests.conftest import REPO_ROOT
from tests.eventshape import reference


def _record(event_name: str, image: dict[str, Any]) -> dict[str, Any]:
    """A stream record as Lambda delivers it (the reference shape), holding ``image``."""
    record = copy.deepcopy(reference("dynamodb-stream.json")["Records"][0])
    record["eventName"] = event_name
    record["dynamodb"]["Keys"] = {"PK": image["PK"], "SK": image["SK"]}
    record["dynamodb"]["NewImage"] = image
    return record


def _removed(image: dict[str, Any]) -> dict[str, Any]:
    """A REMOVE record as Lambda delivers it: the item only as it was (OldImage)."""
    record = _record("REMOVE", image)
    record["dynamodb"]["OldImage"] = record["dynamodb"].pop("NewImage")
    return record


def _message_image(files: bool) -> dict[str, Any]:
    image = {
        "PK": {"S": keys.channel_pk(9)},
        "SK": {"S": keys.message_sk(11)},
        "type": {"S": "message"},
        "channel_id": {"N": "9"},
        "content": {"S": "hi"},
    }
    if files:
        attachment = {"id": "5", "filename": "a.png", "content_type": "image/png", "size": 1}
        image["attachments"] = {"S": json.dumps([attachment])}
    return image


def _outbox_image() -> dict[str, Any]:
    event = GatewayEvent(EventName.MESSAGE_CREATE, 7, {"id": "1"}, channel_id=9)
    return dict(record_of(event, datetime.now(UTC)).serialize())


def _log_image() -> dict[str, Any]:
    return {
        "PK": {"S": keys.log_pk(0)},
        "SK": {"S": keys.log_sk(12)},
        "t": {"S": "MESSAGE_CREATE"},
        "scope": {"S": "guild:7"},
        "d": {"S": "{}"},
    }


def _session_image() -> dict[str, Any]:
    return {
        "PK": {"S": keys.user_pk(42)},
        "SK": {"S": keys.session_sk("s")},
        "session_id": {"S": "s"},
        "last_heartbeat_ms": {"N": "1"},
    }


def _typed(kind: str) -> dict[str, Any]:
    return {"PK": {"S": f"X#{kind}"}, "SK": {"S": "Y"}, "type": {"S": kind}}


@pytest.fixture(scope="module")
def mappings() -> dict[str, StreamMapping]:
    template = load_template(REPO_ROOT / "template.yaml")
    return {m.function_id: m for m in template.stream_mappings}


RECORDS = {
    "outbox insert": lambda: _record("INSERT", _outbox_image()),
    "outbox expiry": lambda: _record("REMOVE", _outbox_image()),
    "log insert": lambda: _record("INSERT", _log_image()),
    "heartbeat": lambda: _record("MODIFY", _session_image()),
    "session insert": lambda: _record("INSERT", _session_image()),
    "purge round": lambda: _record("MODIFY", _typed("purge")),
    "speaking report": lambda: _record("INSERT", _typed("voice_speaking")),
    "message with files removed": lambda: _removed(_message_image(files=True)),
    "message without files removed": lambda: _removed(_message_image(files=False)),
    "message with files sent": lambda: _record("INSERT", _message_image(files=True)),
}


@pytest.mark.parametrize(
    ("function", "wanted"),
    [
        ("FanoutFunction", {"outbox insert", "log insert"}),
        (
            "GuildStreamFunction",
            {"outbox insert", "purge round", "speaking report", "message with files removed"},
        ),
        ("UnfurlFunction", {"message with files sent"}),
    ],
)
def test_each_consumer_is_invoked_for_what_it_acts_on_only(
    mappings: dict[str, StreamMapping], function: str, wanted: set[str]
) -> None:
    mapping = mappings[function]
    assert mapping.filters, "the template gives this mapping FilterCriteria"
    got = {name for name, build in RECORDS.items() if mapping.wants(build())}
    assert got == wanted


def test_a_mapping_without_filters_wants_every_record() -> None:
    mapping = StreamMapping(table_id="T", function_id="F")
    assert all(mapping.wants(build()) for build in RECORDS.values())


def test_prefix_exact_and_invalid_patterns() -> None:
    pattern = RecordFilter('{"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "GWLOG#"}]}}}}')
    assert pattern.matches(_record("INSERT", _log_image()))
    assert not pattern.matches(_record("INSERT", _session_image()))
    with pytest.raises(ValueError, match="invalid filter pattern"):
        RecordFilter('{"eventName": "INSERT"}')  # values must be lists
    with pytest.raises(ValueError, match="invalid filter pattern"):
        RecordFilter("not json")
