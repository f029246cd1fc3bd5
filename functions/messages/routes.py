"""Message routes: history, send, edit, delete, reactions, pins, typing."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.messages.models import EditMessage, SendMessage
from shared.api import caller_id, created, no_content, path_id
from shared.config import get_settings
from shared.ids import parse_id
from shared.limits.bucket import Rate
from shared.limits.http import rate_limited
from shared.limits.limiter import Limit
from shared.services import messages, read_state

router = APIGatewayHttpRouter()

SEND_PER_CHANNEL = Limit(
    "messages-per-channel", lambda: Rate.parse(get_settings().rate_messages_per_channel)
)
TYPING_PER_CHANNEL = Limit(
    "typing-per-channel", lambda: Rate.parse(get_settings().rate_typing_per_channel)
)


def user_in_channel(app: ApiGatewayResolver) -> str | None:
    """The bucket's subject: this user in this channel."""
    raw = app.current_event.raw_event
    jwt = ((raw.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}
    user = (jwt.get("claims") or {}).get("sub")
    channel = (raw.get("pathParameters") or {}).get("channel_id")
    return f"{user}:{channel}" if user and channel else None


@router.get("/channels/<channel_id>/messages")
def history(
    channel_id: str,
    before: Annotated[str | None, Query(pattern=r"^\d{1,20}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[dict[str, Any]]:
    """Newest first, ``before`` an id (a bad cursor is a 400), 1..100 at a time."""
    cursor = parse_id(before) if before is not None else None
    return messages.history(
        path_id(channel_id, "channel_id"), caller_id(router), before=cursor, limit=limit
    )


@router.post(
    "/channels/<channel_id>/messages",
    middlewares=[rate_limited((SEND_PER_CHANNEL, user_in_channel))],
)
def send(channel_id: str, body: SendMessage) -> Response[Any]:
    reply_to = parse_id(body.reply_to) if body.reply_to else None
    return created(
        messages.send_message(
            path_id(channel_id, "channel_id"),
            caller_id(router),
            body.content,
            reply_to,
            body.attachment_ids(),
        )
    )


@router.patch("/channels/<channel_id>/messages/<message_id>")
def edit(channel_id: str, message_id: str, body: EditMessage) -> dict[str, Any]:
    return messages.edit_message(
        path_id(channel_id, "channel_id"),
        path_id(message_id, "message_id"),
        caller_id(router),
        body.content,
    )


@router.delete("/channels/<channel_id>/messages/<message_id>")
def delete(channel_id: str, message_id: str) -> Response[Any]:
    messages.delete_message(
        path_id(channel_id, "channel_id"), path_id(message_id, "message_id"), caller_id(router)
    )
    return no_content()


@router.put("/channels/<channel_id>/messages/<message_id>/reactions/<emoji>/@me")
def react(channel_id: str, message_id: str, emoji: str) -> Response[Any]:
    messages.react(
        path_id(channel_id, "channel_id"),
        path_id(message_id, "message_id"),
        caller_id(router),
        unquote(emoji),
    )
    return no_content()


@router.delete("/channels/<channel_id>/messages/<message_id>/reactions/<emoji>/@me")
def unreact(channel_id: str, message_id: str, emoji: str) -> Response[Any]:
    messages.unreact(
        path_id(channel_id, "channel_id"),
        path_id(message_id, "message_id"),
        caller_id(router),
        unquote(emoji),
    )
    return no_content()


@router.put("/channels/<channel_id>/pins/<message_id>")
def pin(channel_id: str, message_id: str) -> Response[Any]:
    messages.pin_message(
        path_id(channel_id, "channel_id"),
        path_id(message_id, "message_id"),
        caller_id(router),
        True,
    )
    return no_content()


@router.delete("/channels/<channel_id>/pins/<message_id>")
def unpin(channel_id: str, message_id: str) -> Response[Any]:
    messages.pin_message(
        path_id(channel_id, "channel_id"),
        path_id(message_id, "message_id"),
        caller_id(router),
        False,
    )
    return no_content()


@router.post(
    "/channels/<channel_id>/typing",
    middlewares=[rate_limited((TYPING_PER_CHANNEL, user_in_channel))],
)
def typing(channel_id: str) -> Response[Any]:
    messages.typing(path_id(channel_id, "channel_id"), caller_id(router))
    return no_content()


@router.post("/channels/<channel_id>/messages/<message_id>/ack")
def ack(channel_id: str, message_id: str) -> dict[str, Any]:
    """The caller has read the channel up to this message (the marker only moves forward)."""
    return read_state.ack(
        path_id(channel_id, "channel_id"), path_id(message_id, "message_id"), caller_id(router)
    )
