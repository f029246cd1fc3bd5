"""Snowflake ids: 64-bit, time-ordered, sent to clients as decimal strings.

Generation is the ``snowflake-id`` library's; Parley only chooses the epoch and the instance.
A Lambda container has no stable worker number, so each process draws a random 10-bit instance
at cold start; writes keyed by a snowflake use ``attribute_not_exists`` so that the rare
collision of two containers is caught and retried rather than overwriting.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from snowflake import MAX_INSTANCE, Snowflake, SnowflakeGenerator

__all__ = [
    "ID_PATTERN",
    "PARLEY_EPOCH_MS",
    "SnowflakeId",
    "id_timestamp",
    "new_id",
    "parse_id",
    "validate_id",
]

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


#: The one written form of an id: decimal ASCII digits, no sign, no leading zero (``0`` itself
#: is allowed: the start of an ``after`` cursor). Ids are below 2^63 as well (DynamoDB numbers
#: and every client's 64-bit signed integers hold them), which a pattern cannot say.
ID_PATTERN = r"^(0|[1-9][0-9]{0,18})$"
_CANONICAL = re.compile(ID_PATTERN)
_MAX_ID = (1 << 63) - 1


def parse_id(text: object) -> int:
    """The snowflake a client sent as a decimal string; ValueError when it is not one.

    One form only (:data:`ID_PATTERN`, below 2^63): ``"01"`` and ``"1"`` naming the same id would
    give one resource two names, and two rate-limit buckets.
    """
    if not isinstance(text, str) or not _CANONICAL.fullmatch(text) or int(text) > _MAX_ID:
        raise ValueError(f"not a snowflake: {str(text)[:32]!r}")
    return int(text)


def validate_id(value: Any) -> int:
    """pydantic's side of :func:`parse_id`: a decimal string, or an integer for a JSON body;
    anything else is the ``invalid_id`` error (the HTTP edge answers it with that code)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    try:
        return parse_id(value)
    except ValueError:
        raise PydanticCustomError(
            "invalid_id", "not an id (a decimal string below 2^63, no leading zero)"
        ) from None


#: A snowflake wherever a client sends one (path, query, body, gateway payload): validated by
#: :func:`parse_id`, described in the OpenAPI document as the decimal string clients send.
SnowflakeId = Annotated[
    int,
    BeforeValidator(validate_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["1234567890123456789"]}),
]


def id_timestamp(value: int) -> datetime:
    """When the snowflake was made (UTC)."""
    return Snowflake.parse(value, epoch=PARLEY_EPOCH_MS).datetime_tz(UTC)
