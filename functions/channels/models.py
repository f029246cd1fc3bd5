"""Request bodies of the channel routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, RootModel

from shared.api import PermissionBits, RequestBody, Snowflake
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission

__all__ = [
    "CreateChannel",
    "OverwriteBody",
    "PositionBody",
    "Positions",
    "PutOverwrite",
    "UpdateChannel",
]

ChannelName = Annotated[str, Field(min_length=1, max_length=limits.CHANNEL_NAME_MAX)]
Topic = Annotated[str | None, Field(max_length=limits.CHANNEL_TOPIC_MAX)]
Bitrate = Annotated[int, Field(ge=limits.VOICE_BITRATE_MIN, le=limits.VOICE_BITRATE_MAX)]
UserLimit = Annotated[int, Field(ge=0, le=limits.VOICE_USER_LIMIT_MAX)]
Position = Annotated[int, Field(ge=0, le=10_000)]


def _channel_bits(value: int) -> int:
    if value & Permission.ADMINISTRATOR:
        raise ValueError("ADMINISTRATOR cannot be allowed or denied in a channel")
    return value


#: The bits of an overwrite: any permission but ADMINISTRATOR (Discord refuses it there too).
ChannelBits = Annotated[PermissionBits, AfterValidator(_channel_bits)]


class OverwriteBody(RequestBody):
    """A permission overwrite: ``type`` 0 for a role, 1 for a member."""

    id: Snowflake
    type: Literal[0, 1]
    allow: ChannelBits = 0
    deny: ChannelBits = 0


class CreateChannel(RequestBody):
    name: ChannelName
    type: Literal[0, 2, 4] = 0
    topic: Topic = None
    parent_id: Snowflake | None = None
    position: Position | None = None
    bitrate: Bitrate | None = None
    user_limit: UserLimit | None = None
    permission_overwrites: Annotated[
        list[OverwriteBody], Field(default_factory=list, max_length=limits.MAX_OVERWRITES)
    ]


class UpdateChannel(RequestBody):
    """Only the fields sent change; ``parent_id: null`` takes the channel out of its category."""

    name: ChannelName | None = None
    topic: Topic = None
    parent_id: Snowflake | None = None
    position: Position | None = None
    bitrate: Bitrate | None = None
    user_limit: UserLimit | None = None


class PositionBody(RequestBody):
    id: Snowflake
    position: Position


class Positions(RootModel[list[PositionBody]]):
    """``PATCH /guilds/{id}/channels``: 1 to 50 ``{id, position}`` pairs."""

    root: Annotated[list[PositionBody], Field(min_length=1, max_length=limits.MAX_REORDER)]


class PutOverwrite(RequestBody):
    type: Literal[0, 1]
    allow: ChannelBits = 0
    deny: ChannelBits = 0
