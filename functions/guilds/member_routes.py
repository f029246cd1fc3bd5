"""Member routes: list, kick, nickname and timeout, role assignment."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import UpdateMember
from shared.api import audit_reason, caller_id, no_content, path_id
from shared.domain import limits
from shared.services import members, voice

router = APIGatewayHttpRouter()


@router.get("/guilds/<guild_id>/members")
def list_members(
    guild_id: str,
    after: Annotated[int, Query(ge=0, lt=1 << 63)] = 0,
    limit: Annotated[int, Query(ge=1, le=limits.MEMBERS_PAGE[1])] = limits.MEMBERS_PAGE[0],
) -> list[dict[str, Any]]:
    """Members in user id order, ``limit`` at a time after ``after``."""
    return members.list_members(
        path_id(guild_id, "guild_id"), caller_id(router), after=after, limit=limit
    )


@router.delete("/guilds/<guild_id>/members/<user_id>")
def kick(guild_id: str, user_id: str) -> Response[Any]:
    """Kick a member (KICK_MEMBERS, and a higher role than theirs)."""
    members.kick(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        audit_reason(router),
    )
    return no_content()


@router.patch("/guilds/<guild_id>/members/<user_id>")
def update_member(guild_id: str, user_id: str, body: UpdateMember) -> dict[str, Any]:
    """Nickname, timeout (``communication_disabled_until``), server ``mute``/``deaf`` in voice."""
    sent = body.model_dump(exclude_unset=True)
    if sent.get("mute") is not None or sent.get("deaf") is not None:
        voice.set_server_flags(
            path_id(guild_id, "guild_id"),
            caller_id(router),
            path_id(user_id, "user_id"),
            mute=sent.get("mute"),
            deaf=sent.get("deaf"),
        )
    return members.update_member(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        nick=sent.get("nick", members.UNSET),
        communication_disabled_until=sent.get("communication_disabled_until", members.UNSET),
        reason=audit_reason(router),
    )


@router.put("/guilds/<guild_id>/members/<user_id>/roles/<role_id>")
def add_role(guild_id: str, user_id: str, role_id: str) -> Response[Any]:
    members.add_role(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        path_id(role_id, "role_id"),
        audit_reason(router),
    )
    return no_content()


@router.delete("/guilds/<guild_id>/members/<user_id>/roles/<role_id>")
def remove_role(guild_id: str, user_id: str, role_id: str) -> Response[Any]:
    members.remove_role(
        path_id(guild_id, "guild_id"),
        caller_id(router),
        path_id(user_id, "user_id"),
        path_id(role_id, "role_id"),
        audit_reason(router),
    )
    return no_content()
