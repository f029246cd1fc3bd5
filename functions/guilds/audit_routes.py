"""GET /guilds/{id}/audit-log (VIEW_AUDIT_LOG)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import AuditLog
from shared.api import Snowflake
from shared.guilds import audit_log
from shared.guilds.domain import size_limits as limits
from shared.http import caller_id
from shared.responses import answers

router = APIGatewayHttpRouter()


@router.get("/guilds/<guild_id>/audit-log", responses=answers(AuditLog, "A page of entries."))
def read_audit_log(
    guild_id: Snowflake,
    before: Annotated[Snowflake | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=limits.AUDIT_PAGE[1])] = limits.AUDIT_PAGE[0],
) -> dict[str, Any]:
    """Entries newest first; ``before`` an entry id to page back."""
    return audit_log.read_audit_log(guild_id, caller_id(router), before=before, limit=limit)
