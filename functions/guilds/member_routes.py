"""Member routes: list, search by name, kick, nickname and timeout, role assignment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import UpdateMember
from shared.api import Snowflake, audit_reason, no_content
from shared.guilds import members
from shared.guilds.domain import size_limits as limits
from shared.http import caller_id
from shared.responses import Member, answers
from shared.voice import states as voice

router = APIGatewayHttpRouter()


@router.get("/guilds/<guild_id>/members", responses=answers(list[Member], "The members."))
def list_members(
    guild_id: Snowflake,
    after: Annotated[Snowflake | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=limits.MEMBERS_PAGE[1])] = limits.MEMBERS_PAGE[0],
) -> list[dict[str, Any]]:
    """Members in user id order, ``limit`` at a time after ``after``."""
    return members.list_members(guild_id, caller_id(router), after=after or 0, limit=limit)


@router.get(
    "/guilds/<guild_id>/members/search",
    responses=answers(list[Member], "The members found, by matching name."),
)
def search_members(
    guild_id: Snowflake,
    query: Annotated[str, Query(min_length=1, max_length=limits.MEMBER_SEARCH_QUERY_MAX)],
    limit: Annotated[int, Query(ge=1, le=limits.MEMBER_SEARCH_PAGE[1])] = limits.MEMBER_SEARCH_PAGE[
        0
    ],
) -> list[dict[str, Any]]:
    """Members whose username, display name or nick starts with ``query``, ignoring case."""
    return members.search_members(guild_id, caller_id(router), query, limit)


@router.delete("/guilds/<guild_id>/members/<user_id>", status_code=204)
def kick(guild_id: Snowflake, user_id: Snowflake) -> Response[Any]:
    """Kick a member (KICK_MEMBERS, and a higher role than theirs)."""
    members.kick(guild_id, caller_id(router), user_id, audit_reason(router))
    return no_content()


@router.patch(
    "/guilds/<guild_id>/members/<user_id>", responses=answers(Member, "The member as changed.")
)
def update_member(guild_id: Snowflake, user_id: Snowflake, body: UpdateMember) -> dict[str, Any]:
    """Nickname, timeout (``communication_disabled_until``), server ``mute``/``deaf`` in voice."""
    sent = body.model_dump(exclude_unset=True)
    if sent.get("mute") is not None or sent.get("deaf") is not None:
        voice.set_server_flags(
            guild_id, caller_id(router), user_id, mute=sent.get("mute"), deaf=sent.get("deaf")
        )
    return members.update_member(
        guild_id,
        caller_id(router),
        user_id,
        nick=sent.get("nick", members.UNSET),
        communication_disabled_until=sent.get("communication_disabled_until", members.UNSET),
        reason=audit_reason(router),
    )


@router.put("/guilds/<guild_id>/members/<user_id>/roles/<role_id>", status_code=204)
def add_role(guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake) -> Response[Any]:
    members.add_role(guild_id, caller_id(router), user_id, role_id, audit_reason(router))
    return no_content()


@router.delete("/guilds/<guild_id>/members/<user_id>/roles/<role_id>", status_code=204)
def remove_role(guild_id: Snowflake, user_id: Snowflake, role_id: Snowflake) -> Response[Any]:
    members.remove_role(guild_id, caller_id(router), user_id, role_id, audit_reason(router))
    return no_content()
