"""Comparing event shapes: every key path of a reference event, and which a built one lacks."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import SHARED_EVENTS

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


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every dotted path of a JSON value's field names (lists: their first element)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key not in DATA_MAPS:
                paths |= key_paths(child, path)
    elif isinstance(value, list) and value:
        paths |= key_paths(value[0], f"{prefix}[]")
    return paths


def reference(name: str) -> dict[str, Any]:
    """A reference event, read where it lives (../shared/events), never copied in."""
    data: dict[str, Any] = json.loads((SHARED_EVENTS / name).read_text())
    return data


def missing_paths(built: Any, reference_name: str, *, allowed: tuple[str, ...] = ()) -> set[str]:
    """The reference's key paths that the built event lacks, less those under ``allowed``."""
    missing = key_paths(reference(reference_name)) - key_paths(built)
    return {p for p in missing if not any(p == a or p.startswith(f"{a}.") for a in allowed)}


__all__ = ["DATA_MAPS", "SHARED_EVENTS", "key_paths", "missing_paths", "reference"]
