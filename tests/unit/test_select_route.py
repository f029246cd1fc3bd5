"""The WebSocket API's route selection: ``$request.body.<field>``, else ``$default``."""

from __future__ import annotations

import pytest

from emulator.websocket_api import select_route

OP = "$request.body.op"
ROUTES = {
    "$connect": "Connect",
    "$disconnect": "Disconnect",
    "$default": "Default",
    "1": "Heartbeat",
    "2": "Identify",
    "true": "Flag",
    "chat": "Chat",
}


@pytest.mark.parametrize(
    ("data", "route"),
    [
        ('{"op":1,"d":null}', "1"),
        ('{"op": 2, "d": {"token": "t"}}', "2"),
        ('{"op":"chat"}', "chat"),
        ('{"op":true}', "true"),
        (b'{"op":1}', "1"),  # binary frames are read too
        # unknown keys
        ('{"op":3}', "$default"),
        ('{"op":"nope"}', "$default"),
        ('{"op":false}', "$default"),
        ('{"op":1.5}', "$default"),
        # no usable value
        ('{"op":null}', "$default"),
        ('{"op":{"x":1}}', "$default"),
        ('{"op":[1]}', "$default"),
        ("[1, 2]", "$default"),
        ('"op"', "$default"),
        ("1", "$default"),
        # not JSON
        ("", "$default"),
        ("not json", "$default"),
        ('{"op":1', "$default"),
        (b"\xff\xfe", "$default"),
    ],
)
def test_select_route(data: str | bytes, route: str) -> None:
    assert select_route(OP, data, ROUTES) == route


@pytest.mark.parametrize(
    ("data", "route"),
    [
        ('{"request":{"action":"chat"}}', "chat"),
        ('{"request":{"action":"other"}}', "$default"),
        ('{"request":"chat"}', "$default"),
    ],
)
def test_nested_selection_expression(data: str, route: str) -> None:
    assert select_route("$request.body.request.action", data, ROUTES) == route


def test_without_routes_of_its_own_everything_is_default() -> None:
    only = {"$connect": "C", "$disconnect": "D", "$default": "X"}
    assert select_route(OP, '{"op":1}', only) == "$default"


@pytest.mark.parametrize("reserved", ["$connect", "$disconnect"])
def test_reserved_routes_are_never_selected_by_a_message(reserved: str) -> None:
    assert select_route(OP, f'{{"op":"{reserved}"}}', ROUTES) == "$default"


@pytest.mark.parametrize(
    ("expression", "data"),
    [(OP, '{"d":1}'), (OP, "{}"), ("$request.body.request.action", '{"request":{}}')],
)
def test_missing_field_selects_default(expression: str, data: str) -> None:
    assert select_route(expression, data, ROUTES) == "$default"
