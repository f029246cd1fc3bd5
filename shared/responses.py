"""The objects the REST API answers with, as pydantic models for its OpenAPI document.

Documentation only: routes name them in ``responses`` (:func:`answers`), so a handler's body
goes out exactly as the services build it, never re-serialised through a model. The models
say what the code returns: ids are decimal strings, a field that may be ``null`` is Optional,
one that only some objects carry has a default, and a field not listed is allowed (no
``extra="forbid"``). Their schemas are built when the document is, not at import.

The shapes several areas share live here (users, channels, roles, guilds, members, messages);
an area's own answers live in its ``functions/<area>/models.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Attachment",
    "Channel",
    "Guild",
    "Id",
    "Member",
    "Message",
    "OwnUser",
    "PartialUser",
    "PermissionOverwrite",
    "ReadState",
    "ResponseBody",
    "Role",
    "User",
    "answers",
]

#: A snowflake id as the API sends it: a decimal string.
Id = Annotated[str, Field(pattern=r"^[0-9]+$")]
#: A permission bitfield as the API sends it: a decimal string.
Bits = Annotated[str, Field(pattern=r"^[0-9]+$")]


class ResponseBody(BaseModel):
    """An answer's model (its schema is built only when the OpenAPI document is)."""

    model_config = ConfigDict(defer_build=True)


def answers(model: Any, description: str, status: int = 200) -> dict[int, Any]:
    """A route's ``responses`` entry: ``status`` answers ``model`` (a model or a list of one)."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


class PartialUser(ResponseBody):
    """A user named by id (the rest when the user still exists)."""

    id: Id
    username: str | None = None
    global_name: str | None = None


class User(ResponseBody):
    """What anyone signed in may see of a user."""

    id: Id
    username: str
    global_name: str | None
    created_at: str


class OwnUser(User):
    """What a user sees of themself."""

    email: str
    verified: bool
    allow_dms_from_guild_members: bool


class PermissionOverwrite(ResponseBody):
    """``type`` 0 for a role, 1 for a member; ``allow``/``deny`` bitfields."""

    id: Id
    type: int
    allow: Bits
    deny: Bits


class Channel(ResponseBody):
    """A guild channel (text 0, voice 2, category 4) or a DM (1, with ``recipients``)."""

    id: Id
    type: int
    guild_id: Id | None = None
    name: str | None = None
    position: int | None = None
    parent_id: Id | None = None
    permission_overwrites: list[PermissionOverwrite] | None = None
    topic: str | None = None
    bitrate: int | None = None
    user_limit: int | None = None
    recipients: list[PartialUser] | None = None
    last_message_id: Id | None = None


class Role(ResponseBody):
    id: Id
    name: str
    color: int
    hoist: bool
    position: int
    permissions: Bits
    managed: bool
    mentionable: bool


class Guild(ResponseBody):
    """A guild; with ``roles`` and ``channels`` (those the caller may view) where the route
    answers the whole guild, and the caller's ``permissions`` on ``GET /guilds/{id}``."""

    id: Id
    name: str
    icon: str | None
    description: str | None
    owner_id: Id
    member_count: int
    created_at: str
    roles: list[Role] | None = None
    channels: list[Channel] | None = None
    permissions: Bits | None = None
    presences: list[dict[str, Any]] | None = None
    voice_states: list[dict[str, Any]] | None = None


class Member(ResponseBody):
    user: PartialUser
    nick: str | None
    roles: list[Id]
    joined_at: str
    communication_disabled_until: str | None


class Attachment(ResponseBody):
    id: Id
    filename: str
    content_type: str
    size: int
    url: str


class Emoji(ResponseBody):
    id: Id | None
    name: str


class Reaction(ResponseBody):
    emoji: Emoji
    count: int
    me: bool


class MessageReference(ResponseBody):
    message_id: Id
    channel_id: Id


class Message(ResponseBody):
    """A message; a reply (``type`` 19) names the one it answers in ``message_reference`` and
    carries it in ``referenced_message`` (``null`` once that one is gone)."""

    id: Id
    type: int
    channel_id: Id
    guild_id: Id | None = None
    author: PartialUser
    content: str
    timestamp: str
    edited_timestamp: str | None
    mentions: list[PartialUser]
    mention_roles: list[Id]
    mention_everyone: bool
    attachments: list[Attachment]
    embeds: list[dict[str, Any]]
    flags: int
    pinned: bool
    reactions: list[Reaction]
    message_reference: MessageReference | None = None
    referenced_message: Message | None = None


class ReadState(ResponseBody):
    """Where the caller has read a channel up to (``id`` and ``channel_id``: the channel)."""

    id: Id
    channel_id: Id
    last_message_id: Id | None
    mention_count: int
