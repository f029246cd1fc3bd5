"""The framing between the emulator and its worker processes: one JSON object per line.

``json.dumps`` escapes every newline inside strings, so a message never contains a raw one;
a reader needs one ``readline`` per message.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

__all__ = ["MAX_LINE", "decode", "encode", "read_message", "write_message"]

#: The longest message a worker pipe carries (a 128 KB frame grows when escaped as JSON).
MAX_LINE = 16 * 1024 * 1024


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a worker message is a JSON object")
    return value


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """One message from a blocking stream; None at end of stream."""
    line = stream.readline()
    if not line:
        return None
    return decode(line)


def write_message(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(encode(message))
    stream.flush()
