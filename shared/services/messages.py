"""Messages: send (with attachments, see ``shared.services.attachments``), edit, delete,
history, reactions, pins, typing.

Every command checks the caller's permissions in the channel through ``channel_access`` (the
one permission function), then writes the change and its gateway event in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.domain.events import EventName, GatewayEvent
from shared.domain.message import (
    MAX_REACTIONS_PER_MESSAGE,
    Message,
    check_content,
    check_emoji,
    parse_mentions,
)
from shared.domain.permissions import Permission
from shared.errors import Forbidden, Invalid
from shared.ids import new_id
from shared.observability import Metric, count
from shared.services import attachments
from shared.services.access import Access, channel_access
from shared.storage import messages as store
from shared.storage import outbox, users
from shared.storage.transaction import Transaction

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


def _event(name: EventName, access: Access, data: Mapping[str, Any], actor_id: int) -> GatewayEvent:
    channel = access.channel
    assert channel is not None
    return GatewayEvent(name, access.guild.id, dict(data), actor_id=actor_id, channel_id=channel.id)


def _message(access: Access, message_id: int) -> Message:
    channel = access.channel
    assert channel is not None
    found = store.get(channel.id, message_id)
    if found is None:
        raise store.unknown_message()
    return found


def send_message(
    channel_id: int,
    user_id: int,
    content: str,
    reply_to: int | None,
    attachment_ids: Sequence[int] = (),
) -> dict[str, Any]:
    """A new message (VIEW_CHANNEL + SEND_MESSAGES); its MESSAGE_CREATE carries the same body.

    ``attachment_ids`` name uploads this author made to this channel (ATTACH_FILES); a message
    with attachments may have no content."""
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
    check_content(content, has_attachments=bool(attachment_ids))
    may_everyone = bool(access.permissions & Permission.MENTION_EVERYONE)
    mentions = parse_mentions(content, may_mention_everyone=may_everyone)
    referenced = None
    if reply_to is not None:
        replied = store.get(channel_id, reply_to)
        if replied is None:
            raise Invalid("A reply answers a message of the same channel.", code="unknown_reply")
        referenced = attachments.signed(replied).as_json(author=_author(replied.author_id))
    ready = attachments.prepare(access, user_id, attachment_ids, now)
    author = _author(user_id)
    for attempt in range(_ID_ATTEMPTS):
        tx = Transaction()
        message = Message(
            id=new_id(),
            channel_id=channel_id,
            guild_id=access.guild.id,
            author_id=user_id,
            content=content,
            mentions=mentions,
            reply_to=reply_to,
            attachments=attachments.claim(tx, ready, user_id, now),
        )
        body = attachments.signed(message).as_json(author=author, referenced=referenced)
        store.insert(tx, message)
        outbox.emit(tx, _event(EventName.MESSAGE_CREATE, access, body, user_id), now)
        try:
            tx.commit()
        except store.IdTaken:
            if attempt + 1 == _ID_ATTEMPTS:
                raise
            continue  # a fresh snowflake; the taken one is someone else's message
        count(Metric.MESSAGES_CREATED)
        return body
    raise AssertionError("unreachable")


def history(
    channel_id: int, user_id: int, *, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` messages before ``before``, newest first (READ_MESSAGE_HISTORY)."""
    access = channel_access(channel_id, user_id, _now())
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


def edit_message(channel_id: int, message_id: int, user_id: int, content: str) -> dict[str, Any]:
    """Change a message's content: its author only."""
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL)
    message = _message(access, message_id)
    if message.author_id != user_id:
        raise Forbidden("Only its author edits a message.", code="not_author")
    check_content(content, has_attachments=bool(message.attachments))
    may_everyone = bool(access.permissions & Permission.MENTION_EVERYONE)
    mentions = parse_mentions(content, may_mention_everyone=may_everyone)
    edited = replace(message, content=content, mentions=mentions, edited_at=now)
    body = attachments.signed(edited).as_json(author=_author(user_id))
    tx = Transaction()
    store.edit(tx, message, content, mentions, now)
    outbox.emit(tx, _event(EventName.MESSAGE_UPDATE, access, body, user_id), now)
    tx.commit()
    return body


def delete_message(channel_id: int, message_id: int, user_id: int) -> None:
    """Delete a message: its author, or a member with MANAGE_MESSAGES."""
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL)
    message = _message(access, message_id)
    if message.author_id != user_id:
        access.require(Permission.MANAGE_MESSAGES)
    data = {
        "id": str(message.id),
        "channel_id": str(channel_id),
        "guild_id": str(access.guild.id),
    }
    tx = Transaction()
    store.delete(tx, message)
    outbox.emit(tx, _event(EventName.MESSAGE_DELETE, access, data, user_id), now)
    tx.commit()


def _reaction_data(access: Access, message: Message, user_id: int, emoji: str) -> dict[str, Any]:
    return {
        "user_id": str(user_id),
        "channel_id": str(message.channel_id),
        "message_id": str(message.id),
        "guild_id": str(access.guild.id),
        "emoji": {"id": None, "name": emoji},
    }


def react(channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
    """Add the caller's reaction (ADD_REACTIONS; at most 20 different emoji per message)."""
    check_emoji(emoji)
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(READ | Permission.ADD_REACTIONS)
    message = _message(access, message_id)
    new_allowed = len(message.reactions) < MAX_REACTIONS_PER_MESSAGE
    tx = Transaction()
    store.add_reaction(tx, message, emoji, user_id, new_emoji_allowed=new_allowed)
    data = _reaction_data(access, message, user_id, emoji)
    outbox.emit(tx, _event(EventName.MESSAGE_REACTION_ADD, access, data, user_id), now)
    tx.commit()


def unreact(channel_id: int, message_id: int, user_id: int, emoji: str) -> None:
    """Remove the caller's reaction."""
    check_emoji(emoji)
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(READ)
    message = _message(access, message_id)
    tx = Transaction()
    store.remove_reaction(tx, message, emoji, user_id)
    data = _reaction_data(access, message, user_id, emoji)
    outbox.emit(tx, _event(EventName.MESSAGE_REACTION_REMOVE, access, data, user_id), now)
    tx.commit()


def pin_message(channel_id: int, message_id: int, user_id: int, pinned: bool) -> None:
    """Pin or unpin (MANAGE_MESSAGES; at most 50 pins per channel)."""
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.MANAGE_MESSAGES)
    message = _message(access, message_id)
    tx = Transaction()
    store.pin(tx, message, pinned)
    data = {
        "guild_id": str(access.guild.id),
        "channel_id": str(channel_id),
        "last_pin_timestamp": now.isoformat(),
    }
    outbox.emit(tx, _event(EventName.CHANNEL_PINS_UPDATE, access, data, user_id), now)
    tx.commit()


def typing(channel_id: int, user_id: int) -> None:
    """TYPING_START to those who see the channel (clients show it for ten seconds)."""
    now = _now()
    access = channel_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES)
    data = {
        "channel_id": str(channel_id),
        "guild_id": str(access.guild.id),
        "user_id": str(user_id),
        "timestamp": int(now.timestamp()),
    }
    tx = Transaction()
    outbox.emit(tx, _event(EventName.TYPING_START, access, data, user_id), now)
    tx.commit()
