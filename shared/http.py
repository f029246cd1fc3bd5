"""The HTTP side of every REST function: one resolver factory and one error mapping.

Every resolver takes the caller's per-user budget of the matched route's group first
(``shared/limits/per_user.py``).

An area's ``app.py`` calls :func:`make_resolver`, includes its routers and hands
``lambda_handler`` to Lambda. Every :class:`~shared.errors.ParleyError` becomes the CONTRACT
error shape with the status of ``shared.errors.HTTP_STATUS``; validation failures are 400s with
per-field details; an unknown route is a 404 in the same shape; anything else is a 500 that
shows no stack trace.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from shared.errors import (
    Invalid,
    NotFound,
    ParleyError,
    RateLimited,
    Unauthorized,
    error_body,
    status_for,
)
from shared.ids import parse_id
from shared.observability import logger
from shared.text import is_unicode_text

__all__ = [
    "API_PREFIX",
    "BEARER",
    "NEEDS_TOKEN",
    "ParleyResolver",
    "caller",
    "caller_id",
    "error_response",
    "jwt_claims",
    "make_resolver",
]

#: Every REST route lives under this prefix (CONTRACT.md).
API_PREFIX = "/api/v1"

#: The OpenAPI security scheme of API Gateway's JWT authorizer (``Authorization: Bearer``).
BEARER = "bearerAuth"

#: What a route of a public resolver (``make_resolver(public=True)``) that sits behind the JWT
#: authorizer all the same declares, so that the OpenAPI document says it needs a token.
NEEDS_TOKEN: list[dict[str, list[str]]] = [{BEARER: []}]


def error_response(error: ParleyError) -> Response[dict[str, Any]]:
    """The HTTP response for a Parley error: its status and the CONTRACT body."""
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited):
        # Retry-After is whole seconds (RFC 9110); the precise wait is in X-RateLimit-Reset-After.
        headers = {
            "Retry-After": str(max(1, math.ceil(error.retry_after))),
            "X-RateLimit-Reset-After": f"{error.retry_after:.3f}",
            **error.headers,
        }
    return Response(
        status_code=status_for(error),
        content_type=content_types.APPLICATION_JSON,
        body=error_body(error),
        headers=headers,
    )


def jwt_claims(app: BaseRouter) -> Mapping[str, Any]:
    """The claims API Gateway's JWT authorizer verified, as the event carries them (empty on a
    route without the authorizer). Read from the raw event, so that a middleware, which sees
    the event before any route does, reads them the same way."""
    context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return claims if isinstance(claims, Mapping) else {}


def caller(app: BaseRouter) -> int | None:
    """The verified caller's user id (the ``sub`` claim), or None when there is none."""
    try:
        return parse_id(jwt_claims(app).get("sub"))
    except ValueError:
        return None


def caller_id(app: BaseRouter) -> int:
    """The caller's user id: the ``sub`` claim that API Gateway's JWT authorizer verified.

    Routes with an authorizer never run without verified claims (API Gateway answers 401 first);
    a route that reaches here without them is misconfigured, and still refuses.
    """
    user = caller(app)
    if user is None:
        raise Unauthorized("Sign in first.", code="unauthorized")
    return user


def _field_errors(exc: RequestValidationError) -> dict[str, Any]:
    """Pydantic's error list as ``{"body.name": "message"}`` pairs a client can show."""
    fields: dict[str, Any] = {}
    for item in exc.errors():
        location = ".".join(str(part) for part in item.get("loc", ()))
        fields[location or "body"] = item.get("msg", "invalid value")
    return fields


class ParleyResolver(APIGatewayHttpResolver):
    """An area's resolver; ``public`` when its routes take no access token (the template gives
    them ``Authorizer: NONE``), which the OpenAPI document states."""

    def __init__(self, *, public: bool) -> None:
        super().__init__(
            strip_prefixes=[API_PREFIX], enable_validation=True, json_body_deserializer=_json_body
        )
        self.public = public


def _json_body(text: str) -> Any:
    """A request body's JSON, which must be Unicode text: a lone surrogate (``"\\ud800"``)
    fails wherever it is encoded later (DynamoDB, a hash), so it is refused here, as JSON that
    does not parse is (Powertools turns the JSONDecodeError into a validation error)."""
    value = json.loads(text)
    if not is_unicode_text(value):
        raise json.JSONDecodeError("a string is not Unicode text (a lone surrogate)", text, 0)
    return value


def make_resolver(*, public: bool = False) -> ParleyResolver:
    """A resolver for HTTP API payload 2.0 events with Parley's error handling installed."""
    # Imported here: the limits' middleware answers refusals with this module's error_response.
    from shared.limits.per_user import per_user_limits

    app = ParleyResolver(public=public)
    app.use(middlewares=[per_user_limits])

    @app.exception_handler(ParleyError)
    def _parley_error(error: ParleyError) -> Response[dict[str, Any]]:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[dict[str, Any]]:
        # An id in the wrong form is ``invalid_id`` wherever it was sent (shared.ids.SnowflakeId).
        bad_id = any(item.get("type") == "invalid_id" for item in exc.errors())
        code = "invalid_id" if bad_id else "invalid"
        invalid = ParleyError("The request is not valid.", code=code, errors=_field_errors(exc))
        return error_response(invalid)

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
        # API Gateway hands a body that is not UTF-8 over base64-encoded; Powertools decodes it.
        return error_response(Invalid("The body is not UTF-8 JSON.", errors={"body": "not UTF-8"}))

    @app.not_found
    def _not_found(_exc: NotFoundError) -> Response[dict[str, Any]]:
        return error_response(NotFound("No such route.", code="unknown_route"))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[dict[str, Any]]:
        logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return Response(
            status_code=500,
            content_type=content_types.APPLICATION_JSON,
            body={"code": "internal", "message": "Something went wrong on our side."},
        )

    return app
