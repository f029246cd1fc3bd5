"""The REST vocabulary the guild, channel and invite routes share: snowflake and permission
fields, the audit log reason, and the 201 / 204 answers.

Snowflakes and permission bitfields travel as decimal strings (Discord's convention, since
JavaScript numbers cannot hold 64 bits); request models accept a string or an integer and hand
the service a plain ``int``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import parse_permissions
from shared.ids import SnowflakeId

__all__ = [
    "PermissionBits",
    "Reason",
    "RequestBody",
    "Snowflake",
    "audit_reason",
    "created",
    "no_content",
]


class RequestBody(BaseModel):
    """A request body's model. Its validator is built when a request first needs it, not at
    import: a cold start serves one route, and builds that route's bodies only."""

    model_config = ConfigDict(defer_build=True)


def _bits(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("permissions must be a decimal string")
    return int(parse_permissions(value))


#: A snowflake id in a path, a query or a body (``shared.ids.SnowflakeId``: one rule for all).
Snowflake = SnowflakeId
#: A permission bitfield field: a decimal string (or an integer); unknown bits are dropped.
PermissionBits = Annotated[int, BeforeValidator(_bits)]
#: A body's ``reason`` for the audit log.
Reason = Annotated[str | None, Field(default=None, max_length=limits.AUDIT_REASON_MAX)]


def audit_reason(app: APIGatewayHttpRouter, body_reason: str | None = None) -> str | None:
    """The audit log reason: the body's ``reason``, else the ``X-Audit-Log-Reason`` header
    (URL-encoded, as Discord's clients send it); at most 512 characters."""
    reason = body_reason
    if reason is None:
        header = app.current_event.headers.get("x-audit-log-reason")
        reason = unquote(header) if header else None
    if reason is not None and len(reason) > limits.AUDIT_REASON_MAX:
        raise Invalid(
            f"A reason has at most {limits.AUDIT_REASON_MAX} characters.",
            errors={"reason": "too long"},
        )
    return reason or None


def created(body: Any) -> Response[Any]:
    """201 with a JSON body."""
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


def no_content() -> Response[Any]:
    """204 with no body."""
    return Response(status_code=204, body="")
