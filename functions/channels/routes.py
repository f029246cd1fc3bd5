"""Channel routes: a guild's channels (list, create, reorder), one channel (read, update,
delete), and its permission overwrites."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.channels.models import CreateChannel, Positions, PutOverwrite, UpdateChannel
from shared.api import Snowflake, audit_reason, created, no_content
from shared.dms import groups
from shared.guilds import channels
from shared.guilds.domain.permissions import Overwrite, OverwriteType
from shared.http import caller_id
from shared.responses import Channel, answers

router = APIGatewayHttpRouter()


def _overwrite(target_id: int, kind: int, allow: int, deny: int) -> Overwrite:
    """A validated body's overwrite as the domain's value."""
    return Overwrite(target_id, OverwriteType(kind), allow, deny)


@router.get("/guilds/<guild_id>/channels", responses=answers(list[Channel], "The channels."))
def list_channels(guild_id: Snowflake) -> list[dict[str, Any]]:
    """The channels the caller can see, by position."""
    return channels.list_channels(guild_id, caller_id(router))


@router.post(
    "/guilds/<guild_id>/channels",
    status_code=201,
    responses=answers(Channel, "The new channel.", 201),
)
def create_channel(guild_id: Snowflake, body: CreateChannel) -> Response[Any]:
    """A new text (0), voice (2) or category (4) channel (MANAGE_CHANNELS)."""
    fields = body.model_dump(exclude={"permission_overwrites"})
    fields["permission_overwrites"] = [
        _overwrite(o.id, o.type, o.allow, o.deny) for o in body.permission_overwrites
    ]
    return created(
        channels.create_channel(guild_id, caller_id(router), fields, audit_reason(router))
    )


@router.patch("/guilds/<guild_id>/channels", status_code=204)
def reorder_channels(guild_id: Snowflake, body: Positions) -> Response[Any]:
    """Move up to 50 channels to new positions, all or none."""
    channels.reorder_channels(
        guild_id, caller_id(router), [(p.id, p.position) for p in body.root], audit_reason(router)
    )
    return no_content()


@router.get("/channels/<channel_id>", responses=answers(Channel, "The channel."))
def get_channel(channel_id: Snowflake) -> dict[str, Any]:
    """A guild channel the caller may see, or a group DM they are in."""
    if groups.is_group(channel_id):
        return groups.get(channel_id, caller_id(router))
    return channels.get_channel(channel_id, caller_id(router))


@router.patch("/channels/<channel_id>", responses=answers(Channel, "The channel as changed."))
def update_channel(channel_id: Snowflake, body: UpdateChannel) -> dict[str, Any]:
    """Rename, move or describe a channel (MANAGE_CHANNELS in it); only the fields sent. Any
    participant renames a group DM (only its ``name`` applies there)."""
    if groups.is_group(channel_id):
        return groups.rename(channel_id, caller_id(router), body.name)
    fields = body.model_dump(exclude_unset=True)
    fields = {k: v for k, v in fields.items() if v is not None or k in ("parent_id", "topic")}
    return channels.update_channel(channel_id, caller_id(router), fields, audit_reason(router))


@router.delete("/channels/<channel_id>", responses=answers(Channel, "The deleted channel."))
def delete_channel(channel_id: Snowflake) -> dict[str, Any]:
    """Delete a channel (MANAGE_CHANNELS in it); answers with the deleted channel. On a group
    DM, the caller leaves it."""
    if groups.is_group(channel_id):
        return groups.leave(channel_id, caller_id(router))
    return channels.delete_channel(channel_id, caller_id(router), audit_reason(router))


@router.put("/channels/<channel_id>/permissions/<target_id>", status_code=204)
def put_overwrite(channel_id: Snowflake, target_id: Snowflake, body: PutOverwrite) -> Response[Any]:
    """Set a role's (type 0) or member's (type 1) overwrite (MANAGE_ROLES in the channel)."""
    overwrite = _overwrite(target_id, body.type, body.allow, body.deny)
    channels.put_overwrite(channel_id, caller_id(router), overwrite, audit_reason(router))
    return no_content()


@router.delete("/channels/<channel_id>/permissions/<target_id>", status_code=204)
def delete_overwrite(channel_id: Snowflake, target_id: Snowflake) -> Response[Any]:
    channels.delete_overwrite(channel_id, caller_id(router), target_id, audit_reason(router))
    return no_content()
