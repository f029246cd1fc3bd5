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
from shared.http import error_response
from shared.limits.limiter import Limit, Outcome, enforce, rate_headers

__all__ = ["Subject", "body_field", "client_ip", "rate_limited"]

#: Who a request counts against (None: this limit does not apply to the request).
Subject = Callable[[ApiGatewayResolver], str | None]
Middleware = Callable[[ApiGatewayResolver, NextMiddleware], Response[Any]]


def client_ip(app: ApiGatewayResolver) -> str | None:
    """The caller's address as API Gateway saw it."""
    context = app.current_event.raw_event.get("requestContext") or {}
    address = (context.get("http") or {}).get("sourceIp")
    return f"ip:{address}" if address else None


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
