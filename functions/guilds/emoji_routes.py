"""Custom emoji routes: list, create, rename, delete (the image: `functions/emoji_images`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.guilds.models import CreateEmoji, CustomEmoji, UpdateEmoji
from shared.api import Snowflake, audit_reason, created, no_content
from shared.emojis import emojis
from shared.http import caller_id
from shared.responses import answers

router = APIGatewayHttpRouter()


@router.get("/guilds/<guild_id>/emojis", responses=answers(list[CustomEmoji], "The emoji."))
def list_emojis(guild_id: Snowflake) -> list[dict[str, Any]]:
    return emojis.list_emojis(guild_id, caller_id(router))


@router.post(
    "/guilds/<guild_id>/emojis",
    status_code=201,
    responses=answers(CustomEmoji, "The new emoji.", 201),
)
def create_emoji(guild_id: Snowflake, body: CreateEmoji) -> Response[Any]:
    """A new emoji (MANAGE_GUILD_EXPRESSIONS): at most 50 a guild, images up to 256 KB."""
    fields = body.model_dump()
    return created(emojis.create_emoji(guild_id, caller_id(router), fields, audit_reason(router)))


@router.patch("/guilds/<guild_id>/emojis/<emoji_id>", responses=answers(CustomEmoji, "The emoji."))
def update_emoji(guild_id: Snowflake, emoji_id: Snowflake, body: UpdateEmoji) -> dict[str, Any]:
    """Rename an emoji (or limit it to roles); only the fields sent change."""
    fields = body.model_dump(exclude_unset=True)
    reason = audit_reason(router)
    return emojis.update_emoji(guild_id, caller_id(router), emoji_id, fields, reason)


@router.delete("/guilds/<guild_id>/emojis/<emoji_id>", status_code=204)
def delete_emoji(guild_id: Snowflake, emoji_id: Snowflake) -> Response[Any]:
    emojis.delete_emoji(guild_id, caller_id(router), emoji_id, audit_reason(router))
    return no_content()
