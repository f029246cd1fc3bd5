"""Comparing event shapes: key paths of JSON values, and AWS's reference events read in place."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import SHARED_EVENTS

__all__ = ["DATA_MAPS", "ITEM", "at", "dotted", "key_paths", "missing_paths", "reference"]

#: The marker of "the elements of a list" in a key path.
ITEM = "[]"

#: Maps whose keys are data (header names, item attributes, claims), not fields of the event.
DATA_MAPS = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "claims",
        "Keys",
        "NewImage",
        "OldImage",
    }
)


def key_paths(
    value: Any, prefix: tuple[str, ...] = (), *, fields_only: bool = False
) -> set[tuple[str, ...]]:
    """Every key with its nesting path (lists: their first element's paths).

    With ``fields_only`` the keys inside :data:`DATA_MAPS` are left out: they are sample data
    (a header's name), not part of the event's shape.
    """
    paths: set[tuple[str, ...]] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = (*prefix, key)
            paths.add(path)
            if not (fields_only and key in DATA_MAPS):
                paths |= key_paths(item, path, fields_only=fields_only)
    elif isinstance(value, list) and value:
        paths |= key_paths(value[0], (*prefix, ITEM), fields_only=fields_only)
    return paths


def at(value: Any, path: tuple[str, ...]) -> Any:
    """The value at a key path (lists: their first element)."""
    for part in path:
        value = value[0] if part == ITEM else value[part]
    return value


def reference(name: str) -> dict[str, Any]:
    """One of AWS's reference events, read in place from ``../shared/events``."""
    loaded: dict[str, Any] = json.loads((SHARED_EVENTS / name).read_text())
    return loaded


def dotted(paths: set[tuple[str, ...]]) -> list[str]:
    """Paths as sorted dotted strings, for readable assertion messages."""
    return sorted(".".join(path) for path in paths)


def missing_paths(built: Any, expected: str | Any, *, allowed: tuple[str, ...] = ()) -> set[str]:
    """The field paths of a reference event (a name, or the event itself) that ``built`` lacks,
    as dotted strings, less those at or under ``allowed``."""
    wanted = reference(expected) if isinstance(expected, str) else expected
    missing = dotted(key_paths(wanted, fields_only=True) - key_paths(built, fields_only=True))
    return {p for p in missing if not any(p == a or p.startswith(f"{a}.") for a in allowed)}
