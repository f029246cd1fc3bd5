"""Guild routes: create, read, update, delete; the caller's guilds; leaving a guild."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import CreateGuild, PartialGuild, UpdateGuild
from shared.api import Snowflake, audit_reason, created, no_content
from shared.guilds import guilds
from shared.guilds.domain import size_limits as limits
from shared.http import caller_id
from shared.responses import Guild, answers

router = APIGatewayHttpRouter()


@router.post("/guilds", status_code=201, responses=answers(Guild, "The new guild.", 201))
def create_guild(body: CreateGuild) -> Response[Any]:
    """A new guild owned by the caller, with @everyone and default text and voice channels."""
    return created(guilds.create_guild(caller_id(router), body.name))


@router.get("/guilds/<guild_id>", responses=answers(Guild, "The guild and its roles."))
def get_guild(guild_id: Snowflake) -> dict[str, Any]:
    return guilds.get_guild(guild_id, caller_id(router))


@router.patch("/guilds/<guild_id>", responses=answers(Guild, "The guild as changed."))
def update_guild(guild_id: Snowflake, body: UpdateGuild) -> dict[str, Any]:
    """Rename or re-describe the guild (MANAGE_GUILD)."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    return guilds.update_guild(guild_id, caller_id(router), changes, audit_reason(router))


@router.delete("/guilds/<guild_id>", status_code=204)
def delete_guild(guild_id: Snowflake) -> Response[Any]:
    """Delete the guild (owner only); everything under it is removed in the background."""
    guilds.delete_guild(guild_id, caller_id(router))
    return no_content()


@router.get("/users/@me/guilds", responses=answers(list[PartialGuild], "The guilds."))
def my_guilds(
    after: Annotated[Snowflake | None, Query()] = None,
    before: Annotated[Snowflake | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=limits.GUILDS_PAGE[1])] = limits.GUILDS_PAGE[0],
) -> list[dict[str, Any]]:
    """The caller's guilds in id order, ``limit`` at a time after ``after``."""
    return guilds.list_my_guilds(caller_id(router), after=after or 0, before=before, limit=limit)


@router.delete("/users/@me/guilds/<guild_id>", status_code=204)
def leave_guild(guild_id: Snowflake) -> Response[Any]:
    guilds.leave_guild(guild_id, caller_id(router))
    return no_content()


__all__ = ["router"]
