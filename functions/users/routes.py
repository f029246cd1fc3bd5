"""Profiles: one's own (read and change) and other users' public fields.

Every route here sits behind the HTTP API's JWT authorizer: the caller is the verified ``sub``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from shared.api import RequestBody, Snowflake
from shared.auth import accounts
from shared.http import current_user_id

router = APIGatewayHttpRouter()


class UpdateMeBody(RequestBody):
    username: str | None = Field(default=None, max_length=64)
    global_name: str | None = Field(default=None, max_length=64)


@router.get("/users/@me")
def get_me() -> dict[str, Any]:
    """The caller's own profile, with their email."""
    return accounts.get_me(current_user_id(router))


@router.patch("/users/@me")
def update_me(body: UpdateMeBody) -> dict[str, Any]:
    """Change one's username or display name."""
    return accounts.update_me(
        current_user_id(router), username=body.username, global_name=body.global_name
    )


@router.get("/users/<user_id>")
def get_user(user_id: Snowflake) -> dict[str, Any]:
    """Another user's public fields."""
    current_user_id(router)
    return accounts.get_public_user(user_id)
