"""Lambda's event filtering, for the emulator's event source mappings (``FilterCriteria``).

A filter is a JSON pattern in the EventBridge syntax (exact values, ``prefix``, ``anything-but``,
``exists``, ``numeric``, ``$or``, ...) matched against the record as Lambda delivers it. The
matching is moto's implementation of that syntax (``moto.events``), the same library that
serves the embedded store.
"""

from __future__ import annotations

from typing import Any, cast

from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern, EventPatternParser

__all__ = ["RecordFilter"]


class RecordFilter:
    """One ``FilterCriteria`` pattern. ``ValueError`` when it is not a valid pattern."""

    def __init__(self, pattern: str) -> None:
        try:
            parsed = EventPatternParser(pattern).parse()
        except InvalidEventPatternException as exc:
            raise ValueError(f"invalid filter pattern {pattern!r}: {exc.message}") from exc
        if not parsed:
            raise ValueError(f"invalid filter pattern {pattern!r}: it is empty")
        self.pattern = pattern
        self._matcher = EventPattern(pattern, parsed)

    def matches(self, record: dict[str, Any]) -> bool:
        return bool(self._matcher.matches_event(cast(Any, record)))

    def __repr__(self) -> str:
        return f"RecordFilter({self.pattern!r})"
