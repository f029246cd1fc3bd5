"""The worker pipe's framing: one JSON object per line, whatever the strings hold."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from emulator.wire import decode, encode, read_message, write_message


def test_a_message_is_one_line() -> None:
    data = encode({"a": 1, "b": [1, 2]})
    assert data.endswith(b"\n")
    assert data.count(b"\n") == 1
    assert decode(data) == {"a": 1, "b": [1, 2]}


@pytest.mark.parametrize("text", ["line\nbreak", "cr\r\nlf", "\u2028sep", "☃", "x" * 200_000])
def test_strings_never_break_the_line(text: str) -> None:
    data = encode({"s": text})
    assert data.count(b"\n") == 1
    assert decode(data) == {"s": text}


def test_messages_are_read_back_in_order_then_end() -> None:
    messages = [{"n": n, "s": "a\nb"} for n in range(5)]
    stream = io.BytesIO(b"".join(encode(m) for m in messages))
    assert [read_message(stream) for _ in messages] == messages
    assert read_message(stream) is None


def test_values_json_cannot_hold_become_strings() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert read_message(io.BytesIO(encode({"at": when}))) == {"at": str(when)}


@pytest.mark.parametrize("line", [b"[]\n", b"1\n", b'"text"\n', b"null\n"])
def test_decode_rejects_non_objects(line: bytes) -> None:
    with pytest.raises(ValueError, match="JSON object"):
        decode(line)


def test_decode_rejects_broken_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        decode(b'{"a":\n')


def test_write_message_flushes_one_line() -> None:
    stream = io.BytesIO()
    write_message(stream, {"a": 1})
    assert stream.getvalue() == b'{"a":1}\n'
