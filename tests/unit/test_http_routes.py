"""The HTTP API's route precedence and its reading of Lambda's format 2.0 answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from emulator.http_api import RouteTable, lambda_response
from emulator.template import HttpRoute


def _table(*keys: str) -> RouteTable:
    routes = []
    for key in keys:
        method, path = key.split(" ", 1)
        routes.append(HttpRoute(method=method, path=path, function_id=key))
    return RouteTable(routes)


def _matched(table: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = table.match(method, path)
    return None if found is None else (found[0].function_id, found[1])


@pytest.mark.parametrize(
    ("keys", "method", "path", "expected"),
    [
        # exact > {param} > {proxy+}, whatever the declaration order
        (
            ("GET /users/{id}", "GET /users/@me"),
            "GET",
            "/users/@me",
            ("GET /users/@me", {}),
        ),
        (
            ("GET /{proxy+}", "GET /users/{id}"),
            "GET",
            "/users/42",
            ("GET /users/{id}", {"id": "42"}),
        ),
        (
            ("GET /{proxy+}", "GET /users/{id}", "GET /users/@me"),
            "GET",
            "/users/@me",
            ("GET /users/@me", {}),
        ),
        (
            ("GET /users/{id}", "GET /{proxy+}"),
            "GET",
            "/users/42/avatar",
            ("GET /{proxy+}", {"proxy": "users/42/avatar"}),
        ),
        # fewer parameters beat more
        (
            ("GET /guilds/{id}/{sub}", "GET /guilds/{id}/members"),
            "GET",
            "/guilds/1/members",
            ("GET /guilds/{id}/members", {"id": "1"}),
        ),
        # method > ANY
        (("ANY /things", "GET /things"), "GET", "/things", ("GET /things", {})),
        (("ANY /things", "GET /things"), "POST", "/things", ("ANY /things", {})),
        (
            ("ANY /things/{id}", "DELETE /things/{id}"),
            "DELETE",
            "/things/9",
            ("DELETE /things/{id}", {"id": "9"}),
        ),
        # the path is more specific before the method is
        (
            ("GET /things/{id}", "ANY /things/special"),
            "GET",
            "/things/special",
            ("ANY /things/special", {}),
        ),
        # parameters
        (
            ("PUT /channels/{id}/messages/{msg}/reactions/{emoji}/@me",),
            "PUT",
            "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me",
            (
                "PUT /channels/{id}/messages/{msg}/reactions/{emoji}/@me",
                {"id": "1", "msg": "2", "emoji": "%F0%9F%91%8D"},
            ),
        ),
        (
            ("ANY /api/{proxy+}",),
            "PATCH",
            "/api/v1/a/b",
            ("ANY /api/{proxy+}", {"proxy": "v1/a/b"}),
        ),
    ],
)
def test_precedence(
    keys: tuple[str, ...], method: str, path: str, expected: tuple[str, dict[str, str]]
) -> None:
    assert _matched(_table(*keys), method, path) == expected


@pytest.mark.parametrize(
    ("keys", "method", "path"),
    [
        (("GET /things",), "POST", "/things"),
        (("GET /things",), "GET", "/things/"),
        (("GET /things",), "GET", "/thing"),
        (("GET /things",), "GET", "/thingsx"),
        # a {param} is one segment, never empty
        (("GET /users/{id}",), "GET", "/users/1/2"),
        (("GET /users/{id}",), "GET", "/users/"),
        # a {proxy+} needs at least one character
        (("GET /files/{proxy+}",), "GET", "/files/"),
        # literal characters are literal, not regular expression syntax
        (("GET /a.b",), "GET", "/aXb"),
        (("GET /v1/(x)",), "GET", "/v1/x"),
        ((), "GET", "/"),
    ],
)
def test_no_match(keys: tuple[str, ...], method: str, path: str) -> None:
    assert _table(*keys).match(method, path) is None


def test_literal_special_characters_match_themselves() -> None:
    assert _matched(_table("GET /a.b"), "GET", "/a.b") == ("GET /a.b", {})
    assert _matched(_table("GET /v1/(x)"), "GET", "/v1/(x)") == ("GET /v1/(x)", {})


# ---------------------------------------------------------------- lambda_response


def _read(response: Any) -> tuple[int, bytes]:
    return response.status, response.body


@pytest.mark.parametrize(
    "result",
    [{"message": "hi"}, {"statuscode": 201}, ["a", 1], "text", 42, None, True],
)
def test_a_result_without_status_code_is_200_json(result: Any) -> None:
    response = lambda_response(result)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert json.loads(response.body) == result


def test_status_code_headers_and_body() -> None:
    response = lambda_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Count": 3},
            "body": '{"id": "1"}',
        }
    )
    assert _read(response) == (201, b'{"id": "1"}')
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Count"] == "3"


def test_status_code_as_string() -> None:
    assert lambda_response({"statusCode": "204"}).status == 204


@pytest.mark.parametrize("body", [None, ""])
def test_missing_body_is_empty(body: str | None) -> None:
    result: dict[str, Any] = {"statusCode": 204}
    if body is not None:
        result["body"] = body
    assert _read(lambda_response(result)) == (204, b"")


def test_base64_body_is_decoded() -> None:
    data = bytes(range(256))
    response = lambda_response(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(data).decode(),
            "isBase64Encoded": True,
        }
    )
    assert _read(response) == (200, data)


def test_text_body_is_not_base64_decoded() -> None:
    body = "aGVsbG8="  # valid base64, but not flagged as such
    assert lambda_response({"statusCode": 200, "body": body}).body == body.encode()


def test_utf8_body() -> None:
    response = lambda_response({"statusCode": 200, "body": "héllo ☃"})
    assert response.body == "héllo ☃".encode()


def test_cookies_become_set_cookie_headers() -> None:
    response = lambda_response(
        {"statusCode": 200, "cookies": ["a=1; HttpOnly", "b=2; Path=/"], "body": "ok"}
    )
    assert response.headers.getall("Set-Cookie") == ["a=1; HttpOnly", "b=2; Path=/"]


def test_multi_value_headers_are_all_sent() -> None:
    response = lambda_response(
        {
            "statusCode": 200,
            "headers": {"X-One": "1"},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
        }
    )
    assert response.headers["X-One"] == "1"
    assert response.headers.getall("X-Many") == ["a", "b"]
