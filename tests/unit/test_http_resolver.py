"""shared/http.py: every failure a REST client can meet comes back in the CONTRACT shape."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from emulator.events import HttpRequestFacts, http_api_event
from shared.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ParleyError,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from shared.http import API_PREFIX, error_response, make_resolver

SECRET = "db password is hunter2"

ERRORS: dict[str, ParleyError] = {
    "invalid": Invalid("Bad cursor.", code="bad_cursor"),
    "unauthorized": Unauthorized("Log in."),
    "forbidden": Forbidden("Not yours.", errors={"permission": "MANAGE_GUILD"}),
    "not-found": NotFound("No such guild.", code="unknown_guild"),
    "conflict": Conflict("Taken."),
    "too-large": PayloadTooLarge("Too big."),
    "unavailable": Unavailable("Later."),
}


class NewThing(BaseModel):
    name: str = Field(min_length=1, max_length=10)


def _app() -> Any:
    router = APIGatewayHttpRouter()

    @router.get("/fail/<kind>")
    def fail(kind: str) -> dict[str, str]:
        raise ERRORS[kind]

    @router.get("/limited")
    def limited() -> dict[str, str]:
        raise RateLimited(
            "Slow down.",
            retry_after=2.5,
            headers={"X-RateLimit-Bucket": "abc", "X-RateLimit-Remaining": "0"},
        )

    @router.get("/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError(SECRET)

    @router.get("/things")
    def things(limit: Annotated[int, Query(ge=1, le=100)] = 50) -> dict[str, int]:
        return {"limit": limit}

    @router.post("/things")
    def create(thing: NewThing) -> dict[str, str]:
        return {"name": thing.name}

    app = make_resolver()
    app.include_router(router)
    return app


APP = _app()


def _call(
    method: str, path: str, *, query: str = "", body: bytes = b"", route: str = "$default"
) -> tuple[int, dict[str, Any], Any]:
    pairs = [tuple(part.split("=", 1)) for part in query.split("&") if part]
    event = http_api_event(
        HttpRequestFacts(
            method=method,
            path=path,
            raw_query=query,
            query=[(name, value) for name, value in pairs],
            headers=[("Content-Type", "application/json")] if body else [],
            body=body,
            source_ip="127.0.0.1",
            domain_name="localhost",
            api_id="local",
            route_key=route,
            epoch_ms=1,
        )
    )
    response = APP.resolve(event, None)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, json.loads(response["body"])


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("invalid", 400, {"code": "bad_cursor", "message": "Bad cursor."}),
        ("unauthorized", 401, {"code": "unauthorized", "message": "Log in."}),
        (
            "forbidden",
            403,
            {
                "code": "forbidden",
                "message": "Not yours.",
                "errors": {"permission": "MANAGE_GUILD"},
            },
        ),
        ("not-found", 404, {"code": "unknown_guild", "message": "No such guild."}),
        ("conflict", 409, {"code": "conflict", "message": "Taken."}),
        ("too-large", 413, {"code": "payload_too_large", "message": "Too big."}),
        ("unavailable", 503, {"code": "unavailable", "message": "Later."}),
    ],
)
def test_parley_errors_map_to_status_and_contract_body(
    kind: str, status: int, body: dict[str, Any]
) -> None:
    got_status, headers, got_body = _call("GET", f"{API_PREFIX}/fail/{kind}")
    assert got_status == status
    assert got_body == body
    assert headers["content-type"] == "application/json"


def test_rate_limited_carries_retry_after_and_bucket_headers() -> None:
    status, headers, body = _call("GET", f"{API_PREFIX}/limited")
    assert status == 429
    assert body == {"code": "rate_limited", "message": "Slow down.", "errors": {"retry_after": 2.5}}
    assert headers["retry-after"] == "3"  # whole seconds, rounded up
    assert headers["x-ratelimit-reset-after"] == "2.500"
    assert headers["x-ratelimit-bucket"] == "abc"
    assert headers["x-ratelimit-remaining"] == "0"


def test_retry_after_header_is_whole_seconds() -> None:
    _, headers, _ = _call("GET", f"{API_PREFIX}/limited")
    assert headers["retry-after"].isdigit()
    assert int(headers["retry-after"]) >= 2.5


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{API_PREFIX}/nowhere"),
        ("DELETE", f"{API_PREFIX}/things"),
        ("GET", f"{API_PREFIX}/fail/a/b"),
    ],
)
def test_unknown_route_is_in_the_contract_shape(method: str, path: str) -> None:
    status, headers, body = _call(method, path)
    assert body == {"code": "unknown_route", "message": "No such route."}
    assert headers["content-type"] == "application/json"
    assert status in (400, 404)  # 404 once the bug below is fixed


def test_unknown_route_is_a_404() -> None:
    status, _, _ = _call("GET", f"{API_PREFIX}/nowhere")
    assert status == 404


def test_unexpected_exception_is_a_500_without_details() -> None:
    status, _, body = _call("GET", f"{API_PREFIX}/crash")
    assert status == 500
    assert body == {"code": "internal", "message": "Something went wrong on our side."}
    text = json.dumps(body)
    assert SECRET not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text


def test_prefix_is_stripped_before_routing() -> None:
    status, _, body = _call("GET", f"{API_PREFIX}/things", query="limit=7")
    assert (status, body) == (200, {"limit": 7})


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten"])
def test_invalid_query_is_a_400_with_field_details(query: str) -> None:
    status, _, body = _call("GET", f"{API_PREFIX}/things", query=query)
    assert status == 400
    assert body["code"] == "invalid"
    assert body["message"] == "The request is not valid."
    assert list(body["errors"]) == ["query.limit"]
    assert isinstance(body["errors"]["query.limit"], str)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"name": ""}', "body.name"),
        (b'{"name": "far too long a name"}', "body.name"),
        (b"{}", "body.name"),
    ],
)
def test_invalid_body_is_a_400_with_field_details(payload: bytes, field: str) -> None:
    status, _, body = _call("POST", f"{API_PREFIX}/things", body=payload)
    assert status == 400
    assert body["code"] == "invalid"
    assert field in body["errors"]


def test_valid_body_is_accepted() -> None:
    status, _, body = _call("POST", f"{API_PREFIX}/things", body=b'{"name": "ok"}')
    assert (status, body) == (200, {"name": "ok"})


def test_malformed_json_body_is_a_400_not_a_500() -> None:
    status, _, body = _call("POST", f"{API_PREFIX}/things", body=b'{"name": ')
    assert status == 400
    assert body["code"] == "invalid"


def test_error_response_on_its_own() -> None:
    response = error_response(NotFound("No such user.", code="unknown_user"))
    assert response.status_code == 404
    assert response.body == {"code": "unknown_user", "message": "No such user."}
