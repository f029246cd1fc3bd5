"""Request bodies of the guild routes (validated at the edge; OpenAPI is generated from them),
and the answers only this area gives (the shared ones are ``shared.responses``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from shared.api import PermissionBits, Reason, RequestBody, Snowflake
from shared.guilds.domain import size_limits as limits
from shared.responses import Id, PartialUser, ResponseBody

__all__ = [
    "AuditLog",
    "Ban",
    "BanBody",
    "CreateEmoji",
    "CreateGuild",
    "CreateRole",
    "CustomEmoji",
    "PartialGuild",
    "UpdateEmoji",
    "UpdateGuild",
    "UpdateMember",
    "UpdateRole",
]

GuildName = Annotated[
    str, Field(min_length=limits.GUILD_NAME_MIN, max_length=limits.GUILD_NAME_MAX)
]
RoleName = Annotated[str, Field(min_length=1, max_length=limits.ROLE_NAME_MAX)]
Color = Annotated[int, Field(ge=0, le=limits.ROLE_COLOR_MAX)]


class CreateGuild(RequestBody):
    name: GuildName


class UpdateGuild(RequestBody):
    name: GuildName | None = None
    description: Annotated[str | None, Field(max_length=limits.GUILD_DESCRIPTION_MAX)] = None


class UpdateMember(RequestBody):
    """Only the fields sent change; ``null`` clears (a nickname, a timeout)."""

    nick: Annotated[str | None, Field(max_length=limits.NICK_MAX)] = None
    communication_disabled_until: datetime | None = None
    # Server mute/deafen in voice (MUTE_MEMBERS / DEAFEN_MEMBERS; the member must be in voice).
    mute: bool | None = None
    deaf: bool | None = None


class BanBody(RequestBody):
    reason: Reason = None
    delete_message_seconds: Annotated[int, Field(ge=0, le=604_800)] = 0


class CreateRole(RequestBody):
    name: RoleName | None = None
    permissions: PermissionBits = 0
    color: Color = 0
    hoist: bool = False
    mentionable: bool = False


class UpdateRole(RequestBody):
    """Only the fields sent change."""

    name: RoleName | None = None
    permissions: PermissionBits | None = None
    color: Color | None = None
    hoist: bool | None = None
    mentionable: bool | None = None
    position: Annotated[int, Field(ge=1, le=limits.MAX_ROLES)] | None = None


class CreateEmoji(RequestBody):
    """``image``: ``data:image/png;base64,…`` (PNG, GIF, WebP or JPEG, by its content)."""

    name: str
    image: str
    roles: list[Snowflake] | None = None


class UpdateEmoji(RequestBody):
    """Only the fields sent change."""

    name: str | None = None
    roles: list[Snowflake] | None = None


class CustomEmoji(ResponseBody):
    """A guild's custom emoji; its image is at ``GET /emojis/{id}``."""

    id: Id
    name: str
    roles: list[Id]
    user: PartialUser | None = None
    animated: bool
    available: bool
    require_colons: bool
    managed: bool


class PartialGuild(ResponseBody):
    """A guild in the caller's list: ``owner`` when the caller owns it."""

    id: Id
    name: str
    icon: str | None
    owner: bool


class Ban(ResponseBody):
    user: PartialUser
    reason: str | None


class AuditChange(ResponseBody):
    key: str
    old_value: Any = None
    new_value: Any = None


class AuditLogEntry(ResponseBody):
    """``user_id`` is who acted, ``target_id`` what they acted on (``null``: none recorded)."""

    id: Id
    action_type: int
    user_id: Id | None
    target_id: Id | None
    changes: list[AuditChange]
    reason: str | None


class AuditLog(ResponseBody):
    audit_log_entries: list[AuditLogEntry]
