"""Snowflakes: time-ordered, unique, and parsed strictly from what clients send."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from shared import ids
from shared.ids import PARLEY_EPOCH_MS, SnowflakeId, id_timestamp, new_id, parse_id
from shared.voice.domain.states import VoiceStateRequest


def test_new_ids_are_unique_and_increasing() -> None:
    values = [new_id() for _ in range(2000)]
    assert len(set(values)) == len(values)
    assert values == sorted(values)


def test_new_ids_are_positive_63_bit_integers() -> None:
    value = new_id()
    assert 0 < value < 1 << 63


def test_new_id_timestamp_is_now() -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    stamp = id_timestamp(new_id())
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert before <= stamp <= after
    assert stamp.tzinfo is not None


def test_ids_are_ordered_by_creation_time() -> None:
    # The timestamp sits in the high bits, so a later millisecond always sorts after.
    first = id_timestamp(new_id())
    later = new_id()
    assert id_timestamp(later) >= first


def test_epoch_is_2026() -> None:
    assert datetime.fromtimestamp(PARLEY_EPOCH_MS / 1000, UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    assert id_timestamp(0) == datetime(2026, 1, 1, tzinfo=UTC)
    assert id_timestamp(1000 << 22) == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_id_round_trips_through_its_decimal_string() -> None:
    value = new_id()
    assert parse_id(str(value)) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("1", 1),
        ("175928847299117063", 175928847299117063),
        (str((1 << 63) - 1), (1 << 63) - 1),
    ],
)
def test_parse_id_accepts(text: str, value: int) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "0x10",
        "12a",
        "abc",
        str(1 << 63),
        str(1 << 64),
        "9" * 20,
        "0" * 21,
        "1" * 1000,
        "\u0661\u0662\u0663",  # Arabic-Indic digits: isdigit() and int() accept them
        "\uff11\uff12\uff13",  # fullwidth digits
        "\u00b2",  # superscript two: isdigit() but not int()
        "1_000",  # int() accepts underscores
    ],
)
def test_parse_id_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a snowflake"):
        parse_id(text)


def test_parse_id_error_does_not_echo_huge_input() -> None:
    with pytest.raises(ValueError, match="not a snowflake") as caught:
        parse_id("x" * 10_000)
    assert len(str(caught.value)) < 100


def test_new_id_survives_a_burst_within_one_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    import snowflake.snowflake as lib

    frozen = [1_800_000_000.0]

    def clock() -> float:
        # Time stands still for 5000 calls, then moves on by a millisecond.
        frozen.append(frozen[-1] if len(frozen) < 5000 else frozen[-1] + 0.001)
        return frozen[-1]

    monkeypatch.setattr(lib, "time", clock)
    monkeypatch.setattr(
        ids, "_generator", lib.SnowflakeGenerator(1, epoch=PARLEY_EPOCH_MS, timestamp=None)
    )
    values = [new_id() for _ in range(4097)]
    assert len(set(values)) == 4097


@pytest.mark.parametrize("text", ["01", "00", "007", "0" + str((1 << 63) - 1)])
def test_parse_id_rejects_leading_zeros(text: str) -> None:
    # One id, one written form: "01" and "1" would be two names (and two rate-limit buckets).
    with pytest.raises(ValueError, match="not a snowflake"):
        parse_id(text)


_ID = TypeAdapter(SnowflakeId)


@pytest.mark.parametrize(
    ("sent", "value"),
    [
        ("0", 0),
        ("1", 1),
        (str((1 << 63) - 1), (1 << 63) - 1),
        (42, 42),
        ((1 << 63) - 1, (1 << 63) - 1),
    ],
)
def test_id_type_accepts_the_canonical_form(sent: object, value: int) -> None:
    assert _ID.validate_python(sent) == value


@pytest.mark.parametrize(
    "sent",
    [
        str(1 << 63),
        1 << 63,
        "01",
        "",
        "\u0661\u0662",
        "\uff11",
        -1,
        True,
        1.0,
        None,
        [1],
        "\ud800",
    ],
)
def test_id_type_refuses_everything_else_as_invalid_id(sent: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _ID.validate_python(sent)
    assert caught.value.errors()[0]["type"] == "invalid_id"


def test_id_type_is_described_as_the_canonical_decimal_string() -> None:
    schema = _ID.json_schema()
    assert schema["type"] == "string"
    assert re.fullmatch(schema["pattern"], str((1 << 63) - 1))
    assert not re.fullmatch(schema["pattern"], "01")


@pytest.mark.parametrize("guild_id", ["01", str(1 << 63), 1 << 63, "\u0661", "\ud800"])
def test_voice_state_update_takes_ids_in_the_one_form(guild_id: object) -> None:
    # Gateway op 4's payload: the same id type as the REST API's.
    with pytest.raises(ValidationError):
        VoiceStateRequest.model_validate({"guild_id": guild_id, "channel_id": None})
    assert VoiceStateRequest.model_validate({"guild_id": "1", "channel_id": "2"}).channel_id == 2
