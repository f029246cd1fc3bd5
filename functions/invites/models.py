"""The invite routes' request body and answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.api import RequestBody
from shared.guilds.domain import size_limits as limits
from shared.responses import Id, PartialUser, ResponseBody

__all__ = ["CreateInvite", "Invite"]


class CreateInvite(RequestBody):
    """``max_age`` in seconds (0: never expires); ``max_uses`` (0: unlimited)."""

    max_age: Annotated[int, Field(ge=0, le=limits.INVITE_MAX_AGE_MAX)] = (
        limits.INVITE_MAX_AGE_DEFAULT
    )
    max_uses: Annotated[int, Field(ge=0, le=limits.INVITE_MAX_USES_MAX)] = 0


class InviteGuild(ResponseBody):
    id: Id
    name: str
    icon: str | None
    description: str | None
    member_count: int


class InviteChannel(ResponseBody):
    id: Id
    name: str
    type: int


class Invite(ResponseBody):
    """An invite and what it leads to; ``max_age``/``max_uses`` 0: no limit (``expires_at``
    then ``null``)."""

    code: str
    guild: InviteGuild
    channel: InviteChannel
    inviter: PartialUser
    uses: int
    max_uses: int
    max_age: int
    created_at: str
    expires_at: str | None
