"""Ban routes: ban, unban, list."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import BanBody
from shared.api import audit_reason, caller_id, no_content, path_id
from shared.domain import limits
from shared.services import bans

router = APIGatewayHttpRouter()


@router.put("/guilds/<guild_id>/bans/<user_id>")
def ban(
    guild_id: str, user_id: str, body: Annotated[BanBody | None, Body()] = None
) -> Response[Any]:
    """Ban a user (BAN_MEMBERS); a member is removed too. Reason: body or header."""
    bans.ban(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        audit_reason(router, body.reason if body else None),
    )
    return no_content()


@router.delete("/guilds/<guild_id>/bans/<user_id>")
def unban(guild_id: str, user_id: str) -> Response[Any]:
    bans.unban(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        audit_reason(router),
    )
    return no_content()


@router.get("/guilds/<guild_id>/bans")
def list_bans(
    guild_id: str,
    after: Annotated[int, Query(ge=0, lt=1 << 63)] = 0,
    limit: Annotated[int, Query(ge=1, le=limits.BANS_PAGE[1])] = limits.BANS_PAGE[0],
) -> list[dict[str, Any]]:
    return bans.list_bans(
        path_id(guild_id, "guild_id"), caller_id(router), after=after, limit=limit
    )
