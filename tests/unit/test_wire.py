"""The emulator-to-worker framing: a 4-byte big-endian length, then compact JSON."""

from __future__ import annotations

import io
import json
import struct
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.wire import HEADER, decode, encode, read_message, write_message


@pytest.mark.parametrize(
    "message",
    [
        {},
        {"kind": "invoke", "event": {"body": "héllo ☃", "n": [1, 2.5, None, True]}},
        {"big": "x" * 200_000},
    ],
)
def test_round_trip(message: dict[str, Any]) -> None:
    stream = io.BytesIO()
    write_message(stream, message)
    stream.seek(0)
    assert read_message(stream) == message
    assert read_message(stream) is None


def test_frame_layout() -> None:
    data = encode({"a": 1, "b": [1, 2]})
    body = b'{"a":1,"b":[1,2]}'
    assert data == struct.pack("!I", len(body)) + body
    assert HEADER.size == 4
    assert data[:4] == len(body).to_bytes(4, "big")


def test_length_counts_bytes_not_characters() -> None:
    data = encode({"s": "☃"})
    (length,) = HEADER.unpack(data[:4])
    assert length == len(data) - 4
    assert decode(data[4:]) == {"s": "☃"}


def test_messages_follow_each_other_on_one_stream() -> None:
    messages = [{"id": n, "text": "m" * n} for n in range(5)]
    stream = io.BytesIO(b"".join(encode(m) for m in messages))
    received = []
    while (message := read_message(stream)) is not None:
        received.append(message)
    assert received == messages


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x01"])
def test_end_of_stream_is_none(data: bytes) -> None:
    assert read_message(io.BytesIO(data)) is None


def test_values_json_cannot_hold_are_sent_as_text() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    stream = io.BytesIO(encode({"at": when}))
    assert read_message(stream) == {"at": str(when)}


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"1", b"null"])
def test_decode_rejects_non_objects(body: bytes) -> None:
    with pytest.raises(ValueError, match="JSON object"):
        decode(body)


def test_decode_rejects_broken_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode(b'{"a":')


def test_write_message_flushes() -> None:
    class Recorder(io.BytesIO):
        flushed = 0

        def flush(self) -> None:
            self.flushed += 1
            super().flush()

    stream = Recorder()
    write_message(stream, {"a": 1})
    assert stream.flushed == 1
    assert stream.getvalue() == encode({"a": 1})
