"""Snowflake ids: 64-bit, time-ordered, sent to clients as decimal strings.

Generation is the ``snowflake-id`` library's; Parley only chooses the epoch and the instance.
A Lambda container has no stable worker number, so each process draws a random 10-bit instance
at cold start; writes keyed by a snowflake use ``attribute_not_exists`` so that the rare
collision of two containers is caught and retried rather than overwriting.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

from snowflake import MAX_INSTANCE, Snowflake, SnowflakeGenerator

__all__ = ["PARLEY_EPOCH_MS", "id_timestamp", "new_id", "parse_id"]

#: 2026-01-01T00:00:00Z, in milliseconds since the Unix epoch.
PARLEY_EPOCH_MS = 1_767_225_600_000

_lock = threading.Lock()
_generator = SnowflakeGenerator(secrets.randbelow(MAX_INSTANCE + 1), epoch=PARLEY_EPOCH_MS)


def new_id() -> int:
    """A new snowflake, unique within this process and ordered by creation time."""
    while True:
        with _lock:
            value = next(_generator)
        if value is not None:
            return value
        # The generator yields None when this millisecond's 4096 ids are used up, or when the
        # clock stepped back: wait for the next millisecond.
        time.sleep(0.001)


def parse_id(text: str) -> int:
    """The snowflake a client sent as a decimal string; ValueError when it is not one."""
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise ValueError(f"not a snowflake: {text[:32]!r}")
    value = int(text)
    if value >= 1 << 63:
        raise ValueError(f"not a snowflake: {text[:32]!r}")
    return value


def id_timestamp(value: int) -> datetime:
    """When the snowflake was made (UTC)."""
    return Snowflake.parse(value, epoch=PARLEY_EPOCH_MS).datetime_tz(UTC)
