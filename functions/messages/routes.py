"""Message routes: history, send, edit, delete, reactions, pins, typing."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.messages.models import EditMessage, SendMessage
from shared.api import Snowflake, created, no_content
from shared.config import get_settings
from shared.http import caller_id
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit
from shared.limits.rest import caller_in_path, rate_limited
from shared.messages import messages, read_state
from shared.responses import Message, ReadState, answers

router = APIGatewayHttpRouter()

SEND_PER_CHANNEL = Limit(
    "messages-per-channel", lambda: Rate.parse(get_settings().rate_messages_per_channel)
)
TYPING_PER_CHANNEL = Limit(
    "typing-per-channel", lambda: Rate.parse(get_settings().rate_typing_per_channel)
)


@router.get("/channels/<channel_id>/messages", responses=answers(list[Message], "Newest first."))
def history(
    channel_id: Snowflake,
    before: Annotated[Snowflake | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[dict[str, Any]]:
    """Newest first, ``before`` an id (a bad cursor is a 400), 1..100 at a time."""
    return messages.history(channel_id, caller_id(router), before=before, limit=limit)


@router.post(
    "/channels/<channel_id>/messages",
    middlewares=[rate_limited((SEND_PER_CHANNEL, caller_in_path("channel_id")))],
    status_code=201,
    responses=answers(Message, "The message sent.", 201),
)
def send(channel_id: Snowflake, body: SendMessage) -> Response[Any]:
    return created(
        messages.send_message(
            channel_id, caller_id(router), body.content, body.reply_to, body.attachment_ids()
        )
    )


@router.patch(
    "/channels/<channel_id>/messages/<message_id>",
    responses=answers(Message, "The message as edited."),
)
def edit(channel_id: Snowflake, message_id: Snowflake, body: EditMessage) -> dict[str, Any]:
    return messages.edit_message(
        channel_id, message_id, caller_id(router), body.content, body.flags
    )


@router.delete("/channels/<channel_id>/messages/<message_id>", status_code=204)
def delete(channel_id: Snowflake, message_id: Snowflake) -> Response[Any]:
    messages.delete_message(channel_id, message_id, caller_id(router))
    return no_content()


@router.put("/channels/<channel_id>/messages/<message_id>/reactions/<emoji>/@me", status_code=204)
def react(channel_id: Snowflake, message_id: Snowflake, emoji: str) -> Response[Any]:
    messages.react(channel_id, message_id, caller_id(router), unquote(emoji))
    return no_content()


@router.delete(
    "/channels/<channel_id>/messages/<message_id>/reactions/<emoji>/@me", status_code=204
)
def unreact(channel_id: Snowflake, message_id: Snowflake, emoji: str) -> Response[Any]:
    messages.unreact(channel_id, message_id, caller_id(router), unquote(emoji))
    return no_content()


@router.put("/channels/<channel_id>/pins/<message_id>", status_code=204)
def pin(channel_id: Snowflake, message_id: Snowflake) -> Response[Any]:
    messages.pin_message(channel_id, message_id, caller_id(router), True)
    return no_content()


@router.delete("/channels/<channel_id>/pins/<message_id>", status_code=204)
def unpin(channel_id: Snowflake, message_id: Snowflake) -> Response[Any]:
    messages.pin_message(channel_id, message_id, caller_id(router), False)
    return no_content()


@router.post(
    "/channels/<channel_id>/typing",
    middlewares=[rate_limited((TYPING_PER_CHANNEL, caller_in_path("channel_id")))],
    status_code=204,
)
def typing(channel_id: Snowflake) -> Response[Any]:
    messages.typing(channel_id, caller_id(router))
    return no_content()


@router.post(
    "/channels/<channel_id>/messages/<message_id>/ack",
    responses=answers(ReadState, "Where the caller has now read up to."),
)
def ack(channel_id: Snowflake, message_id: Snowflake) -> dict[str, Any]:
    """The caller has read the channel up to this message (the marker only moves forward)."""
    return read_state.ack(channel_id, message_id, caller_id(router))
