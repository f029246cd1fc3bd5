"""The one error tree of Parley, and its one mapping to HTTP status and the CONTRACT error shape.

Handlers raise these; one exception handler per resolver turns any of them into
``{"code", "message", "errors"?}`` with the status found by walking the class's MRO through
``HTTP_STATUS``. The WebSocket routes use the same table to build their error frames.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HTTP_STATUS",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "ParleyError",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "error_body",
    "status_for",
]


class ParleyError(Exception):
    """Base of every error a client may be shown. ``code`` is machine-readable and stable."""

    code = "error"

    def __init__(
        self, message: str, *, code: str | None = None, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.errors = errors


class Invalid(ParleyError):
    code = "invalid"


class Unauthorized(ParleyError):
    code = "unauthorized"


class Forbidden(ParleyError):
    code = "forbidden"


class NotFound(ParleyError):
    code = "not_found"


class Conflict(ParleyError):
    code = "conflict"


class PayloadTooLarge(ParleyError):
    code = "payload_too_large"


class RateLimited(ParleyError):
    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, errors={"retry_after": retry_after})
        self.retry_after = retry_after
        self.headers = headers or {}


class Unavailable(ParleyError):
    """A dependency (the store, a media node) cannot be reached; the client may retry."""

    code = "unavailable"


HTTP_STATUS: dict[type[ParleyError], int] = {
    ParleyError: 400,
    Invalid: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}


def status_for(error: ParleyError) -> int:
    """The HTTP status of an error: the nearest class in its MRO that the table names."""
    for cls in type(error).__mro__:
        if issubclass(cls, ParleyError) and cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


def error_body(error: ParleyError) -> dict[str, Any]:
    """The CONTRACT error shape of an error."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.errors:
        body["errors"] = error.errors
    return body


# ---------------------------------------------------------------- guilds
class LimitReached(Invalid):
    """A count limit would be passed (channels, roles, overwrites): a 400, as Discord answers."""

    code = "limit_reached"


__all__ += ["LimitReached"]
