"""Invite routes: create one for a channel, look one up, join through one."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.invites.models import CreateInvite, Invite
from shared.api import Snowflake, audit_reason, created
from shared.guilds import invites
from shared.http import caller_id
from shared.responses import Guild, answers

router = APIGatewayHttpRouter()


@router.post(
    "/channels/<channel_id>/invites",
    status_code=201,
    responses=answers(Invite, "The new invite.", 201),
)
def create_invite(
    channel_id: Snowflake, body: Annotated[CreateInvite | None, Body()] = None
) -> Response[Any]:
    """A new invite (CREATE_INSTANT_INVITE in the channel)."""
    options = body or CreateInvite()
    return created(
        invites.create_invite(
            channel_id,
            caller_id(router),
            max_age=options.max_age,
            max_uses=options.max_uses,
            reason=audit_reason(router),
        )
    )


@router.get("/invites/<code>", responses=answers(Invite, "The invite."))
def get_invite(code: str) -> dict[str, Any]:
    """Where an invite leads (any signed-in user); 404 once expired or used up."""
    caller_id(router)
    return invites.get_invite(code)


@router.post("/invites/<code>", responses=answers(Guild, "The guild joined, with its channels."))
def join(code: str) -> dict[str, Any]:
    """Join the invite's guild; answers with the guild. Banned: 403."""
    return invites.join(code, caller_id(router))
