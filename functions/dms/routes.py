"""DM routes: open a DM with a user, list one's DMs (the message routes serve DMs too)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ConfigDict

from shared.api import RequestBody, Snowflake
from shared.dms import dms
from shared.http import caller_id
from shared.responses import Channel, answers

router = APIGatewayHttpRouter()


class OpenDm(RequestBody):
    model_config = ConfigDict(extra="forbid")

    recipient_id: Snowflake


@router.post(
    "/users/@me/channels",
    responses={
        **answers(Channel, "The DM existed."),
        **answers(Channel, "This call opened the DM.", 201),
    },
)
def open_dm(body: OpenDm) -> Response[Any]:
    """The DM with ``recipient_id``: 201 when this call opened it, 200 when it existed."""
    channel, created = dms.open_dm(caller_id(router), body.recipient_id)
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=channel,
    )


@router.get("/users/@me/channels", responses=answers(list[Channel], "The caller's DMs."))
def list_dms() -> list[dict[str, Any]]:
    """The caller's DM channels."""
    return dms.list_dms(caller_id(router))
