"""DM routes: open a DM or create a group DM, list one's DMs, add and remove a group's
participants (the message routes serve DMs too; renaming and leaving a group are the channel
routes')."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ConfigDict, Field, model_validator

from shared.api import RequestBody, Snowflake, created, no_content
from shared.dms import dms, groups
from shared.dms.domain.group import MAX_GROUP_NAME, MAX_PARTICIPANTS
from shared.http import caller_id
from shared.responses import Channel, answers

router = APIGatewayHttpRouter()


class OpenDm(RequestBody):
    """``recipient_id`` opens a DM; ``recipients`` (and an optional ``name``) creates a group."""

    model_config = ConfigDict(extra="forbid")

    recipient_id: Snowflake | None = None
    recipients: (
        Annotated[list[Snowflake], Field(min_length=1, max_length=MAX_PARTICIPANTS - 1)] | None
    ) = None
    name: Annotated[str, Field(max_length=MAX_GROUP_NAME)] | None = None

    @model_validator(mode="after")
    def one_kind(self) -> OpenDm:
        if (self.recipient_id is None) == (self.recipients is None):
            raise ValueError("send either recipient_id (a DM) or recipients (a group DM)")
        if self.recipient_id is not None and self.name is not None:
            raise ValueError("only a group DM has a name")
        return self


@router.post(
    "/users/@me/channels",
    responses={
        **answers(Channel, "The DM existed."),
        **answers(Channel, "This call opened the DM, or created the group DM.", 201),
    },
)
def open_dm(body: OpenDm) -> Response[Any]:
    """The DM with ``recipient_id`` (201 when this call opened it, 200 when it existed), or a
    new group DM of the caller and ``recipients`` (201)."""
    if body.recipients is not None:
        return created(groups.create_group(caller_id(router), body.recipients, body.name))
    assert body.recipient_id is not None
    channel, opened = dms.open_dm(caller_id(router), body.recipient_id)
    return Response(
        status_code=201 if opened else 200,
        content_type=content_types.APPLICATION_JSON,
        body=channel,
    )


@router.get("/users/@me/channels", responses=answers(list[Channel], "The caller's DMs."))
def list_dms() -> list[dict[str, Any]]:
    """The caller's DM and group DM channels."""
    return dms.list_dms(caller_id(router))


@router.put("/channels/<channel_id>/recipients/<user_id>", status_code=204)
def add_recipient(channel_id: Snowflake, user_id: Snowflake) -> Response[Any]:
    """Add someone the caller may DM to a group DM they are in (at most 10 participants)."""
    groups.add_recipient(channel_id, caller_id(router), user_id)
    return no_content()


@router.delete("/channels/<channel_id>/recipients/<user_id>", status_code=204)
def remove_recipient(channel_id: Snowflake, user_id: Snowflake) -> Response[Any]:
    """The group's owner removes a participant."""
    groups.remove_recipient(channel_id, caller_id(router), user_id)
    return no_content()
