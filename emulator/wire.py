"""The framing between the emulator and its worker processes: 4-byte length + JSON."""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

__all__ = ["HEADER", "decode", "encode", "read_message", "write_message"]

HEADER = struct.Struct("!I")


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), default=str).encode()
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("a worker message is a JSON object")
    return value


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """One message from a blocking stream; None at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    return decode(stream.read(length))


def write_message(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(encode(message))
    stream.flush()
