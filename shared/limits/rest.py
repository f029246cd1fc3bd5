"""Rate limits on REST routes: a Powertools route middleware that adds the headers to answers.

    @router.post("/auth/register", middlewares=[rate_limited(
        (REGISTER_PER_IP, client_ip), (REGISTER_PER_ACCOUNT, body_field("email")))])

Every answer of a limited route carries ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset-After``
and ``-Bucket`` (of the tightest bucket); a refused request is a 429 in the CONTRACT error shape
with ``Retry-After`` as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from shared.errors import ParleyError
from shared.http import caller, error_response
from shared.ids import parse_id
from shared.limits.limiter import Limit, Outcome, enforce, rate_headers

__all__ = [
    "Subject",
    "body_field",
    "caller_in_path",
    "caller_subject",
    "client_ip",
    "rate_limited",
    "user_in_path",
]

#: Who a request counts against (None: this limit does not apply to the request).
Subject = Callable[[ApiGatewayResolver], str | None]
Middleware = Callable[[ApiGatewayResolver, NextMiddleware], Response[Any]]


def client_ip(app: ApiGatewayResolver) -> str | None:
    """The caller's address as API Gateway saw it."""
    context = app.current_event.raw_event.get("requestContext") or {}
    address = (context.get("http") or {}).get("sourceIp")
    return f"ip:{address}" if address else None


def caller_subject(app: ApiGatewayResolver) -> str | None:
    """The verified caller (a budget of their own)."""
    user = caller(app)
    return None if user is None else f"user:{user}"


def _path_id(app: ApiGatewayResolver, name: str) -> int | None:
    """The id the path parameter ``name`` holds, in its one form (``shared.ids.parse_id``): a
    malformed one counts against no bucket, and the route answers it with a 400."""
    value = (app.current_event.raw_event.get("pathParameters") or {}).get(name)
    try:
        return parse_id(value)
    except ValueError:
        return None


def caller_in_path(name: str) -> Subject:
    """The caller in the resource the path parameter ``name`` names (this user in this
    channel): one caller's share of one resource."""

    def subject(app: ApiGatewayResolver) -> str | None:
        user, resource = caller(app), _path_id(app, name)
        return None if user is None or resource is None else f"{user}:{resource}"

    return subject


def user_in_path(name: str = "user_id") -> Subject:
    """The user the path parameter ``name`` names (``@me``: the caller), whoever acts on them:
    a route that acts on another user named in its path (a ban, a kick, a member's roles or
    nickname) limits with it what every caller together does to one user."""

    def subject(app: ApiGatewayResolver) -> str | None:
        value = (app.current_event.raw_event.get("pathParameters") or {}).get(name)
        target = caller(app) if value == "@me" else _path_id(app, name)
        return None if target is None else f"user:{target}"

    return subject


def body_field(name: str) -> Subject:
    """A JSON body field, case-folded (an account named by username or email)."""

    def subject(app: ApiGatewayResolver) -> str | None:
        try:
            body = app.current_event.json_body
        except ValueError:
            return None
        value = body.get(name) if isinstance(body, dict) else None
        return f"{name}:{value.strip().casefold()}" if isinstance(value, str) and value else None

    return subject


def _tighter(outcome: Outcome, headers: Mapping[str, Any]) -> bool:
    """Whether this bucket is tighter than the one an inner limit already put in the headers:
    an answer shows the bucket closest to refusing."""
    shown = headers.get("X-RateLimit-Remaining")
    return shown is None or outcome.decision.remaining < int(shown)


def rate_limited(*limits: tuple[Limit, Subject]) -> Middleware:
    """A middleware that enforces the limits before the handler and adds their headers after."""

    def middleware(app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[Any]:
        checks = [(limit, who) for limit, subject in limits if (who := subject(app)) is not None]
        outcome = enforce(checks)
        try:
            response = next_middleware(app)
        except ParleyError as error:
            # A refused request still spent its token: its answer shows the bucket too.
            response = error_response(error)
        if outcome is not None and _tighter(outcome, response.headers):
            response.headers.update(rate_headers(outcome))
        return response

    return middleware
