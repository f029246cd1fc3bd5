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


ACTION_ROUTES = {"$connect": "C", "$disconnect": "D", "sendmessage": "Send", "42": "Answer"}


@pytest.mark.parametrize(
    ("expression", "data", "route"),
    [
        ("$request.body.action", '{"action":"sendmessage","data":"hi"}', "sendmessage"),
        ("${request.body.action}", '{"action":"sendmessage"}', "sendmessage"),  # AWS's other form
        ("$request.body.action", '{"action":42}', "42"),
        ("$request.body.msg.kind", '{"msg":{"kind":"sendmessage"}}', "sendmessage"),
    ],
)
def test_any_body_path_selects_its_route(expression: str, data: str, route: str) -> None:
    assert select_route(expression, data, ACTION_ROUTES) == route


@pytest.mark.parametrize(
    "data",
    ['{"action":"shout"}', '{"data":"hi"}', "not json", '{"action":"$connect"}', "[]"],
)
def test_without_a_default_route_nothing_is_selected(data: str) -> None:
    """API Gateway answers such a message with "Forbidden" (websocket_api sends it)."""
    assert select_route("$request.body.action", data, ACTION_ROUTES) is None


@pytest.mark.parametrize("expression", ["$request.header.x", "$request.body.", "action", ""])
def test_an_expression_that_reads_no_body_field_selects_default(expression: str) -> None:
    assert select_route(expression, '{"op":1}', ROUTES) == "$default"
