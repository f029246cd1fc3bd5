"""Messages: send (with attachments, see ``shared.messages.attachments``), edit, delete,
history, reactions, pins, typing.

Every command checks the caller's permissions in the channel through ``message_access`` (the
one permission function; a DM's participants get a default member's rights, nobody else any),
then writes the change and its gateway event in one transaction. Sending also moves the
channel's ``last_message_id`` forward and records who it mentions, in the same transaction
(``shared/messages/storage/read_states.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.auth.storage import users
from shared.emojis import emojis
from shared.emojis.domain.emoji import parse_reaction
from shared.errors import Forbidden, Invalid
from shared.guilds.access import Access, DmAccess, message_access
from shared.guilds.domain.permissions import Permission
from shared.guilds.storage import members
from shared.guilds.storage import roles as role_store
from shared.ids import new_id
from shared.messages import attachments
from shared.messages.domain.message import (
    MAX_REACTIONS_PER_MESSAGE,
    SUPPRESS_EMBEDS,
    Message,
    check_content,
    check_emoji,
    check_flags,
    parse_mentions,
    reaction_emoji,
)
from shared.messages.storage import messages as store
from shared.messages.storage import read_states
from shared.observability import Metric, count
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.transaction import Transaction

__all__ = [
    "delete_message",
    "edit_message",
    "history",
    "pin_message",
    "react",
    "send_message",
    "typing",
    "unreact",
]

READ = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
_ID_ATTEMPTS = 3


def _now() -> datetime:
    return datetime.now(UTC)


def _author(user_id: int) -> dict[str, Any]:
    record = users.get_user(user_id)
    return record.user.public() if record is not None else {"id": str(user_id)}


ChannelAccess = Access | DmAccess


def _event(
    name: EventName, access: ChannelAccess, data: Mapping[str, Any], actor_id: int
) -> GatewayEvent:
    """A guild channel's event goes to the guild (who may view it); a DM's to its two users."""
    dm = access.dm
    return GatewayEvent(
        name,
        access.guild_id,
        dict(data),
        actor_id=actor_id,
        channel_id=access.channel_id,
        dm_channel_id=None if dm is None else dm.id,
    )


def _where(access: ChannelAccess) -> dict[str, str]:
    """The ``channel_id`` (and, outside DMs, ``guild_id``) of an event's payload."""
    where = {"channel_id": str(access.channel_id)}
    if access.guild_id is not None:
        where["guild_id"] = str(access.guild_id)
    return where


def _message(access: ChannelAccess, message_id: int) -> Message:
    found = store.get(access.channel_id, message_id)
    if found is None:
        raise store.unknown_message()
    return found


def _mentioned_users(access: ChannelAccess, author_id: int, users_named: Sequence[int]) -> set[int]:
    """Whose unread mentions a message adds to: named users who are in the channel's guild
    (or the DM's other participant), never the author (one BatchGet, only when some are named)."""
    named = set(users_named) - {author_id}
    if not named:
        return set()
    if access.dm is not None:
        return named & set(access.dm.users)
    assert access.guild_id is not None
    return set(members.get_many(access.guild_id, named))


def _mentioned_roles(access: ChannelAccess, named: Sequence[int]) -> list[int]:
    """The guild's roles a message names (one BatchGet, only when some are named)."""
    if not named or access.guild_id is None:
        return []
    return sorted(role_store.get_many(access.guild_id, named))


def send_message(
    channel_id: int,
    user_id: int,
    content: str,
    reply_to: int | None,
    attachment_ids: Sequence[int] = (),
) -> dict[str, Any]:
    """A new message (VIEW_CHANNEL + SEND_MESSAGES; a reply READ_MESSAGE_HISTORY too); its
    MESSAGE_CREATE carries the same body (the answered message only to those who may read the
    history: ``shared/gateway/permission_filter.py``).

    ``attachment_ids`` name uploads this author made to this channel (ATTACH_FILES); a message
    with attachments may have no content."""
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
    check_content(content, has_attachments=bool(attachment_ids))
    may_everyone = bool(access.permissions & Permission.MENTION_EVERYONE)
    mentions = parse_mentions(content, may_mention_everyone=may_everyone)
    referenced = None
    if reply_to is not None:
        # A reply shows the message it answers: only to those who may read the history (as
        # on Discord), and before looking it up, so that its existence is not told either.
        access.require(READ)
        replied = store.get(channel_id, reply_to)
        if replied is None:
            raise Invalid("A reply answers a message of the same channel.", code="unknown_reply")
        referenced = attachments.signed(replied).as_json(author=_author(replied.author_id))
    ready = attachments.prepare(access, user_id, attachment_ids, now)
    author = _author(user_id)
    mentioned = _mentioned_users(access, user_id, mentions.users)
    roles = _mentioned_roles(access, mentions.roles)
    for attempt in range(_ID_ATTEMPTS):
        tx = Transaction()
        message = Message(
            id=new_id(),
            channel_id=channel_id,
            guild_id=access.guild_id,
            author_id=user_id,
            content=content,
            mentions=mentions,
            reply_to=reply_to,
            attachments=attachments.claim(tx, ready, user_id, now),
        )
        body = attachments.signed(message).as_json(author=author, referenced=referenced)
        store.insert(tx, message)
        outbox.emit(tx, _event(EventName.MESSAGE_CREATE, access, body, user_id), now)
        if attempt + 1 < _ID_ATTEMPTS:
            # The last attempt leaves last_message_id to the newer message that beat it.
            read_states.advance_channel(tx, channel_id, message.id, everyone=mentions.everyone)
        read_states.record_role_mentions(tx, channel_id, message.id, roles)
        read_states.record_mentions(tx, channel_id, message.id, sorted(mentioned))
        try:
            tx.commit()
        except (store.IdTaken, read_states.ChannelBehind):
            if attempt + 1 == _ID_ATTEMPTS:
                raise
            continue  # a fresh snowflake: the taken one, or an older one than the channel's last
        count(Metric.MESSAGES_CREATED)
        return body
    raise AssertionError("unreachable")


def history(
    channel_id: int, user_id: int, *, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` messages before ``before``, newest first (READ_MESSAGE_HISTORY)."""
    access = message_access(channel_id, user_id, _now())
    access.require(READ)
    page = store.page(channel_id, before=before, limit=limit)
    mine = store.reacted(
        channel_id, [(m.id, emoji) for m in page for emoji in m.reactions], user_id
    )
    authors = {a: _author(a) for a in {m.author_id for m in page}}
    return [
        attachments.signed(m).as_json(
            author=authors[m.author_id], reacted=[e for i, e in mine if i == m.id]
        )
        for m in page
    ]


def edit_message(
    channel_id: int,
    message_id: int,
    user_id: int,
    content: str | None,
    flags: int | None = None,
) -> dict[str, Any]:
    """Change a message's content and/or its flags (SUPPRESS_EMBEDS): its author only. Only a
    new content marks it edited."""
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL)
    message = _message(access, message_id)
    if message.author_id != user_id:
        raise Forbidden("Only its author edits a message.", code="not_author")
    edited = message
    mentions = message.mentions
    if flags is not None:
        check_flags(flags)
        embeds = () if flags & SUPPRESS_EMBEDS else message.embeds
        edited = replace(edited, flags=flags, embeds=embeds)
    if content is not None:
        check_content(content, has_attachments=bool(message.attachments))
        may_everyone = bool(access.permissions & Permission.MENTION_EVERYONE)
        mentions = parse_mentions(content, may_mention_everyone=may_everyone)
        edited = replace(edited, content=content, mentions=mentions, edited_at=now)
    body = attachments.signed(edited).as_json(author=_author(user_id))
    tx = Transaction()
    store.edit(tx, message, content, mentions, now, flags=flags)
    outbox.emit(tx, _event(EventName.MESSAGE_UPDATE, access, body, user_id), now)
    tx.commit()
    return body


def delete_message(channel_id: int, message_id: int, user_id: int) -> None:
    """Delete a message: its author, or a member with MANAGE_MESSAGES."""
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL)
    message = _message(access, message_id)
    if message.author_id != user_id:
        access.require(Permission.MANAGE_MESSAGES)
    data = {"id": str(message.id), **_where(access)}
    tx = Transaction()
    store.delete(tx, message)
    outbox.emit(tx, _event(EventName.MESSAGE_DELETE, access, data, user_id), now)
    tx.commit()


def _reaction_data(
    access: ChannelAccess, message: Message, user_id: int, emoji: str
) -> dict[str, Any]:
    return {
        "user_id": str(user_id),
        "message_id": str(message.id),
        **_where(access),
        "emoji": reaction_emoji(emoji),
    }


def _reaction_key(access: ChannelAccess, text: str, *, adding: bool) -> str:
    """What a reaction is stored as: a unicode emoji itself, a custom one as ``name:id``."""
    guild_id = access.guild.id if isinstance(access, Access) else None
    return emojis.reaction_of(guild_id, text, adding=adding) or text


def _check_reaction(text: str) -> None:
    if parse_reaction(text) is None:
        check_emoji(text)


def react(channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
    """Add the caller's reaction (ADD_REACTIONS; at most 20 different emoji per message)."""
    _check_reaction(emoji)
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(READ | Permission.ADD_REACTIONS)
    emoji = _reaction_key(access, emoji, adding=True)
    message = _message(access, message_id)
    new_allowed = len(message.reactions) < MAX_REACTIONS_PER_MESSAGE
    tx = Transaction()
    store.add_reaction(tx, message, emoji, user_id, new_emoji_allowed=new_allowed)
    data = _reaction_data(access, message, user_id, emoji)
    outbox.emit(tx, _event(EventName.MESSAGE_REACTION_ADD, access, data, user_id), now)
    tx.commit()


def unreact(channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
    """Remove the caller's reaction."""
    _check_reaction(emoji)
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(READ)
    emoji = _reaction_key(access, emoji, adding=False)
    message = _message(access, message_id)
    tx = Transaction()
    store.remove_reaction(tx, message, emoji, user_id)
    data = _reaction_data(access, message, user_id, emoji)
    outbox.emit(tx, _event(EventName.MESSAGE_REACTION_REMOVE, access, data, user_id), now)
    tx.commit()


def pin_message(channel_id: int, message_id: int, user_id: int, pinned: bool) -> None:
    """Pin or unpin (MANAGE_MESSAGES, or a DM's participant; at most 50 pins per channel)."""
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require_pin()
    message = _message(access, message_id)
    tx = Transaction()
    store.pin(tx, message, pinned)
    data = {**_where(access), "last_pin_timestamp": now.isoformat()}
    outbox.emit(tx, _event(EventName.CHANNEL_PINS_UPDATE, access, data, user_id), now)
    tx.commit()


def typing(channel_id: int, user_id: int) -> None:
    """TYPING_START to those who see the channel (clients show it for ten seconds)."""
    now = _now()
    access = message_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
    data = {
        **_where(access),
        "user_id": str(user_id),
        "timestamp": int(now.timestamp()),
    }
    tx = Transaction()
    outbox.emit(tx, _event(EventName.TYPING_START, access, data, user_id), now)
    tx.commit()
