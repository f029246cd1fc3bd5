"""Item values in the table's answers: botocore's own JSON parser, with one shortcut.

botocore parses a response by walking the service's model. An item value (``AttributeValue``)
is a structure of ten optional members, and the walk tries all ten, through a dispatch per
value, for every value of every item: a Query of 100 subscriptions spent a fifth of its CPU
there. Every item value holds exactly one member, so the parser reads an item (a map of
values) in one step, each value's one member as botocore would: binary members (``B``,
``BS``) base64-decoded by the parser's blob parser, maps and lists member by member, the others
JSON as they came. Everything else, and any value not of that form, goes through botocore
unchanged. (Requests are left to botocore's serializer: it has no hook to choose another.)

``tests/unit/test_item_values.py`` holds the results equal to botocore's own, for every
attribute type, in item reads, queries, batches and a transaction's cancellation reasons.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from typing import Any

from botocore.model import Shape
from botocore.parsers import JSONParser, ResponseParser, ResponseParserFactory
from botocore.session import Session

__all__ = [
    "TableAnswerParser",
    "use_table_answer_parser",
]

#: Members whose JSON is what botocore parses them to.
_AS_THEY_ARE = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})
_ITEM_VALUE = "AttributeValue"


class _Unusual(Exception):
    """A value not of the form the shortcut handles: botocore's walk takes it."""


def _value(raw: Any, blob: Callable[[Any], Any]) -> dict[str, Any]:
    """An item value as botocore parses it (``blob`` decodes binary members)."""
    if type(raw) is not dict or len(raw) != 1:
        raise _Unusual
    ((member, inner),) = raw.items()
    if inner is None:
        raise _Unusual
    if member in _AS_THEY_ARE:
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

    def _handle_map(self, shape: Any, value: Any) -> Any:
        if shape.value.name == _ITEM_VALUE and isinstance(value, dict):  # an item, or a key
            with contextlib.suppress(_Unusual):
                return {name: _value(v, self._blob) for name, v in value.items()}
        return super()._handle_map(shape, value)  # type: ignore[misc]  # not in the stubs

    def _handle_structure(self, shape: Shape, value: Any) -> Any:
        if shape.name == _ITEM_VALUE:  # a value on its own (an expression's, say)
            with contextlib.suppress(_Unusual):
                return _value(value, self._blob)
        return super()._handle_structure(shape, value)  # type: ignore[misc]


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
