"""Ban routes: ban, unban, list."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import Ban, BanBody
from shared.api import Snowflake, audit_reason, no_content
from shared.guilds import bans
from shared.guilds.domain import size_limits as limits
from shared.http import caller_id
from shared.responses import answers

router = APIGatewayHttpRouter()


@router.put("/guilds/<guild_id>/bans/<user_id>", status_code=204)
def ban(
    guild_id: Snowflake, user_id: Snowflake, body: Annotated[BanBody | None, Body()] = None
) -> Response[Any]:
    """Ban a user (BAN_MEMBERS); a member is removed too. Reason: body or header."""
    bans.ban(
        guild_id, caller_id(router), user_id, audit_reason(router, body.reason if body else None)
    )
    return no_content()


@router.delete("/guilds/<guild_id>/bans/<user_id>", status_code=204)
def unban(guild_id: Snowflake, user_id: Snowflake) -> Response[Any]:
    bans.unban(guild_id, caller_id(router), user_id, audit_reason(router))
    return no_content()


@router.get("/guilds/<guild_id>/bans", responses=answers(list[Ban], "The bans."))
def list_bans(
    guild_id: Snowflake,
    after: Annotated[Snowflake | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=limits.BANS_PAGE[1])] = limits.BANS_PAGE[0],
) -> list[dict[str, Any]]:
    return bans.list_bans(guild_id, caller_id(router), after=after or 0, limit=limit)
