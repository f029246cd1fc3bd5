"""Profiles: one's own (read and change, and one's password) and other users' public fields.

Every route here sits behind the HTTP API's JWT authorizer: the caller is the verified ``sub``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field, StrictBool

from shared.api import RequestBody, Snowflake
from shared.auth import accounts
from shared.auth.login_limits import (
    LOGIN_PER_ACCOUNT,
    LOGIN_PER_ACCOUNT_AND_IP,
    signed_in_account,
    signed_in_account_and_ip,
)
from shared.http import caller_id
from shared.limits.rest import rate_limited
from shared.responses import OwnUser, User, answers

router = APIGatewayHttpRouter()


class UpdateMeBody(RequestBody):
    username: str | None = Field(default=None, max_length=64)
    global_name: str | None = Field(default=None, max_length=64)
    allow_dms_from_guild_members: StrictBool | None = None


@router.get("/users/@me", responses=answers(OwnUser, "The caller's own profile."))
def get_me() -> dict[str, Any]:
    """The caller's own profile, with their email."""
    return accounts.get_me(caller_id(router))


@router.patch("/users/@me", responses=answers(OwnUser, "The profile as changed."))
def update_me(body: UpdateMeBody) -> dict[str, Any]:
    """Change one's username, display name, or who may open DMs with one."""
    return accounts.update_me(
        caller_id(router),
        username=body.username,
        global_name=body.global_name,
        allow_dms_from_guild_members=body.allow_dms_from_guild_members,
    )


class ChangePasswordBody(RequestBody):
    password: str = Field(max_length=1024, description="the current password")
    new_password: str = Field(max_length=1024)


@router.patch(
    "/users/@me/password",
    status_code=204,
    middlewares=[
        rate_limited(
            (LOGIN_PER_ACCOUNT_AND_IP, signed_in_account_and_ip),
            (LOGIN_PER_ACCOUNT, signed_in_account),
        )
    ],
)
def change_password(body: ChangePasswordBody) -> Response[Any]:
    """Change one's password (the current one required); every login ends, this one too; 204."""
    accounts.change_password(caller_id(router), body.password, body.new_password)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.get("/users/<user_id>", responses=answers(User, "The user's public fields."))
def get_user(user_id: Snowflake) -> dict[str, Any]:
    """Another user's public fields."""
    caller_id(router)
    return accounts.get_public_user(user_id)
