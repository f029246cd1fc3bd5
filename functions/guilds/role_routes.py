"""Role routes: list, create, update, delete."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import CreateRole, UpdateRole
from shared.api import Snowflake, audit_reason, created, no_content
from shared.guilds import roles
from shared.guilds.domain.permissions import Permission
from shared.http import caller_id
from shared.responses import Role, answers

router = APIGatewayHttpRouter()


@router.get("/guilds/<guild_id>/roles", responses=answers(list[Role], "The roles."))
def list_roles(guild_id: Snowflake) -> list[dict[str, Any]]:
    return roles.list_roles(guild_id, caller_id(router))


@router.post(
    "/guilds/<guild_id>/roles", status_code=201, responses=answers(Role, "The new role.", 201)
)
def create_role(guild_id: Snowflake, body: CreateRole) -> Response[Any]:
    """A new role (MANAGE_ROLES; only permissions the caller has)."""
    fields = body.model_dump()
    fields["permissions"] = Permission(fields["permissions"])
    return created(roles.create_role(guild_id, caller_id(router), fields, audit_reason(router)))


@router.patch("/guilds/<guild_id>/roles/<role_id>", responses=answers(Role, "The role as changed."))
def update_role(guild_id: Snowflake, role_id: Snowflake, body: UpdateRole) -> dict[str, Any]:
    """Edit a role below the caller's highest; only the fields sent change."""
    fields = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "permissions" in fields:
        fields["permissions"] = Permission(fields["permissions"])
    return roles.update_role(guild_id, caller_id(router), role_id, fields, audit_reason(router))


@router.delete("/guilds/<guild_id>/roles/<role_id>", status_code=204)
def delete_role(guild_id: Snowflake, role_id: Snowflake) -> Response[Any]:
    roles.delete_role(guild_id, caller_id(router), role_id, audit_reason(router))
    return no_content()
