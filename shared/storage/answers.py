"""The table's answers, parsed by botocore's own JSON parser with one shortcut: item values.

botocore parses a response by walking its model. An item value (``AttributeValue``) is a
structure of ten optional members, and the walk tries each of the ten for every value of every
item: for a BatchGetItem of 100 sessions that was most of the read's CPU. Every value holds
exactly one member, so this parser reads that one member and converts it as botocore would
(binary members are base64-decoded by the parser's blob parser, the others are JSON as they
came; maps and lists are converted member by member). Anything else, and any value not of that
form, goes through botocore unchanged. ``tests/unit/test_answers.py`` holds the two parsers'
results equal for every attribute type, in item reads, queries, batches and a transaction's
cancellation reasons.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from botocore.model import Shape
from botocore.parsers import JSONParser, ResponseParser, ResponseParserFactory
from botocore.session import Session

__all__ = ["TableAnswerParser", "use_table_answer_parser"]

#: Members whose JSON is already what botocore returns.
_AS_SENT = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


class _Unusual(Exception):
    """A value not of the form the shortcut reads: botocore's walk parses it."""


def _value(raw: Any, blob: Callable[[str], bytes]) -> dict[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise _Unusual
    ((member, inner),) = raw.items()
    if inner is None:
        raise _Unusual
    if member in _AS_SENT:
        return raw
    if member == "B":
        return {"B": blob(inner)}
    if member == "BS":
        return {"BS": [blob(b) for b in inner]}
    if member == "M":
        return {"M": {key: _value(v, blob) for key, v in inner.items()}}
    if member == "L":
        return {"L": [_value(v, blob) for v in inner]}
    raise _Unusual


class TableAnswerParser(JSONParser):
    """botocore's JSON parser, reading item values directly."""

    def __init__(
        self,
        timestamp_parser: Callable[[str], Any] | None = None,
        blob_parser: Callable[[str], bytes] | None = None,
    ) -> None:
        super().__init__(timestamp_parser=timestamp_parser, blob_parser=blob_parser)
        self._blob = blob_parser or base64.b64decode  # botocore's default blob parser

    def _handle_structure(self, shape: Shape, value: Any) -> Any:
        if shape.name == "AttributeValue":
            try:
                return _value(value, self._blob)
            except _Unusual:
                pass
        return super()._handle_structure(shape, value)  # type: ignore[misc]  # not in the stubs


class _Factory(ResponseParserFactory):
    def __init__(self) -> None:
        super().__init__()
        self._given: dict[str, Any] = {}

    def set_parser_defaults(self, **kwargs: Any) -> None:
        super().set_parser_defaults(**kwargs)
        self._given.update(kwargs)

    def create_parser(self, protocol_name: str) -> ResponseParser:
        if protocol_name == "json":
            return TableAnswerParser(**self._given)
        return super().create_parser(protocol_name)


def use_table_answer_parser(session: Session) -> None:
    """Clients the botocore ``session`` creates from now on parse with the shortcut."""
    session.register_component("response_parser_factory", _Factory())
