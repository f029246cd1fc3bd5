"""Messages in their channel's partition, reactions beside them, the pin counter.

``PK=CHANNEL#c``: ``SK=MSG#<id>`` (a message; ids are time-ordered, so history is one reverse
Query), ``SK=REACT#<msg>#<emoji>#<user>`` (one user's reaction), ``SK=PINS`` (the count).
A message keeps its reaction counts in a map, changed with the reaction in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action

from shared.errors import Conflict, Invalid, NotFound
from shared.messages.domain.message import SUPPRESS_EMBEDS, Attachment, Mentions, Message
from shared.table.entity import Entity, store_errors
from shared.table.keys import (
    MESSAGE_SK_PREFIX,
    PINS_SK,
    channel_pk,
    message_sk,
    reaction_sk,
)
from shared.table.transaction import Transaction

__all__ = [
    "MAX_PINS",
    "EmbedsOutdated",
    "IdTaken",
    "MessageRecord",
    "add_reaction",
    "delete",
    "edit",
    "get",
    "insert",
    "page",
    "pin",
    "reacted",
    "remove_reaction",
    "removed_attachments",
    "set_embeds",
    "unfurl_request",
    "unknown_message",
]

MAX_PINS = 50


class IdTaken(Conflict):
    """The new message's id is already used (two containers drew the same snowflake)."""

    code = "id_taken"

    def __init__(self) -> None:
        super().__init__("That message id is taken.")


def unknown_message() -> NotFound:
    return NotFound("No such message.", code="unknown_message")


class MessageRecord(Entity, discriminator="message"):
    message_id = NumberAttribute()
    channel_id = NumberAttribute()
    guild_id = NumberAttribute(null=True)
    author_id = NumberAttribute()
    content = UnicodeAttribute()
    mention_users = NumberSetAttribute(null=True)
    mention_roles = NumberSetAttribute(null=True)
    mention_everyone = BooleanAttribute(default=False)
    reply_to = NumberAttribute(null=True)
    attachments = UnicodeAttribute(null=True)  # JSON list
    edited_at = UTCDateTimeAttribute(null=True)
    pinned = BooleanAttribute(default=False)
    reactions: MapAttribute[str, Any] = MapAttribute(default=dict)  # emoji -> count
    embeds = UnicodeAttribute(null=True)  # JSON list of link previews
    suppress_embeds = BooleanAttribute(null=True)  # the SUPPRESS_EMBEDS flag


class ReactionRecord(Entity, discriminator="reaction"):
    message_id = NumberAttribute()
    user_id = NumberAttribute()
    emoji = UnicodeAttribute()


class PinCounter(Entity, discriminator="pins"):
    pins = NumberAttribute(default=0, attr_name="count")


def _attachments(stored: str | None) -> list[Attachment]:
    """The attachments a message item keeps (a JSON list, absent when there are none)."""
    return [
        Attachment(
            id=int(a["id"]),
            filename=a["filename"],
            content_type=a["content_type"],
            size=int(a["size"]),
            key=a.get("key", ""),
        )
        for a in json.loads(stored or "[]")
    ]


def removed_attachments(image: dict[str, Any]) -> tuple[int, list[Attachment]] | None:
    """The channel and attachments of a message item in a stream record's OldImage (DynamoDB
    JSON); None for any other item, or a message that carried no files."""
    if image.get("type", {}).get("S") != "message" or "attachments" not in image:
        return None
    attachments = _attachments(image["attachments"].get("S"))
    if not attachments:
        return None
    return int(image["channel_id"]["N"]), attachments


def _to_message(record: MessageRecord) -> Message:
    attachments = _attachments(record.attachments)
    return Message(
        id=int(record.message_id),
        channel_id=int(record.channel_id),
        guild_id=None if record.guild_id is None else int(record.guild_id),
        author_id=int(record.author_id),
        content=record.content,
        mentions=Mentions(
            users=tuple(sorted(int(u) for u in record.mention_users or ())),
            roles=tuple(sorted(int(r) for r in record.mention_roles or ())),
            everyone=bool(record.mention_everyone),
        ),
        reply_to=None if record.reply_to is None else int(record.reply_to),
        attachments=attachments,
        edited_at=record.edited_at,
        pinned=bool(record.pinned),
        reactions={k: int(v) for k, v in record.reactions.as_dict().items() if int(v) > 0},
        embeds=json.loads(record.embeds or "[]"),
        flags=SUPPRESS_EMBEDS if record.suppress_embeds else 0,
    )


def _key(channel_id: int, message_id: int) -> MessageRecord:
    return MessageRecord(channel_pk(channel_id), message_sk(message_id))


def insert(tx: Transaction, message: Message) -> None:
    tx.put(
        MessageRecord(
            channel_pk(message.channel_id),
            message_sk(message.id),
            message_id=message.id,
            channel_id=message.channel_id,
            guild_id=message.guild_id,
            author_id=message.author_id,
            content=message.content,
            mention_users=set(message.mentions.users) or None,
            mention_roles=set(message.mentions.roles) or None,
            mention_everyone=message.mentions.everyone,
            reply_to=message.reply_to,
            attachments=json.dumps([a.stored() for a in message.attachments])
            if message.attachments
            else None,
            reactions={},
        ),
        condition=MessageRecord.pk.does_not_exist(),  # a snowflake collision is caught
        on_fail=IdTaken(),
    )


def get(channel_id: int, message_id: int) -> Message | None:
    with store_errors():
        try:
            record = MessageRecord.get(
                channel_pk(channel_id), message_sk(message_id), consistent_read=True
            )
        except MessageRecord.DoesNotExist:
            return None
    return _to_message(record) if isinstance(record, MessageRecord) else None


def page(channel_id: int, *, before: int | None, limit: int) -> list[Message]:
    """Up to ``limit`` messages older than ``before``, newest first: one Query."""
    upper = message_sk(before - 1) if before is not None else f"{MESSAGE_SK_PREFIX}~"
    with store_errors():
        records = MessageRecord.query(
            channel_pk(channel_id),
            MessageRecord.sk.between(message_sk(0), upper),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
        )
        return [_to_message(r) for r in records if isinstance(r, MessageRecord)]


def edit(
    tx: Transaction,
    message: Message,
    content: str | None,
    mentions: Mentions,
    edited_at: datetime,
    *,
    flags: int | None = None,
) -> None:
    """A new content (with its mentions and edit time) and/or new flags; suppressing embeds
    drops the message's link previews."""
    actions: list[Action] = []
    if content is not None:
        actions += [
            MessageRecord.content.set(content),
            MessageRecord.mention_everyone.set(mentions.everyone),
            MessageRecord.edited_at.set(edited_at),
            MessageRecord.mention_users.set(set(mentions.users))
            if mentions.users
            else MessageRecord.mention_users.remove(),
            MessageRecord.mention_roles.set(set(mentions.roles))
            if mentions.roles
            else MessageRecord.mention_roles.remove(),
        ]
    if flags is not None:
        suppressed = bool(flags & SUPPRESS_EMBEDS)
        if suppressed:
            actions += [MessageRecord.suppress_embeds.set(True), MessageRecord.embeds.remove()]
        else:
            actions.append(MessageRecord.suppress_embeds.remove())
    tx.update(
        _key(message.channel_id, message.id),
        actions=actions,
        condition=MessageRecord.pk.exists(),
        on_fail=unknown_message(),
    )


def set_embeds(
    tx: Transaction, channel_id: int, message_id: int, content: str, embeds: list[Any]
) -> None:
    """A message's link previews, as unfurled from ``content``: only while the message still
    has that content and its previews are not suppressed (a later edit, a deletion or the
    author's suppression wins)."""
    tx.update(
        _key(channel_id, message_id),
        actions=[
            MessageRecord.embeds.set(json.dumps(embeds))
            if embeds
            else MessageRecord.embeds.remove()
        ],
        condition=MessageRecord.pk.exists()
        & (MessageRecord.content == content)
        & MessageRecord.suppress_embeds.does_not_exist(),
        on_fail=EmbedsOutdated(),
    )


class EmbedsOutdated(Conflict):
    """The message changed (edited, deleted, previews suppressed) while its links were fetched."""

    code = "embeds_outdated"

    def __init__(self) -> None:
        super().__init__("The message changed since its links were read.")


def unfurl_request(record: dict[str, Any]) -> tuple[int, int, int | None, str, bool] | None:
    """What a table stream record asks of the unfurler: ``(channel, message, guild, content,
    had_embeds)`` for a message item inserted, or whose content changed, with its previews
    not suppressed; None for anything else (reactions, pins, the unfurler's own writes)."""
    change = record.get("dynamodb") or {}
    new = change.get("NewImage") or {}
    old = change.get("OldImage") or {}
    if new.get("type", {}).get("S") != "message" or new.get("suppress_embeds", {}).get("BOOL"):
        return None
    content = new.get("content", {}).get("S", "")
    if record.get("eventName") == "MODIFY" and old.get("content", {}).get("S") == content:
        return None
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    guild = new.get("guild_id", {}).get("N")
    return (
        int(new["channel_id"]["N"]),
        int(new["message_id"]["N"]),
        None if guild is None else int(guild),
        content,
        "embeds" in new,
    )


def delete(tx: Transaction, message: Message) -> None:
    tx.delete(
        _key(message.channel_id, message.id),
        condition=MessageRecord.pk.exists(),
        on_fail=unknown_message(),
    )


def add_reaction(
    tx: Transaction, message: Message, emoji: str, user_id: int, *, new_emoji_allowed: bool
) -> None:
    """The user's reaction and the count, together; fails if the user already reacted so."""
    tx.put(
        ReactionRecord(
            channel_pk(message.channel_id),
            reaction_sk(message.id, emoji, user_id),
            message_id=message.id,
            user_id=user_id,
            emoji=emoji,
        ),
        condition=ReactionRecord.pk.does_not_exist(),
        on_fail=_AlreadyReacted(),
    )
    count = MessageRecord.reactions[emoji]
    condition = MessageRecord.pk.exists()
    if not new_emoji_allowed:
        condition &= count.exists()
    tx.update(
        _key(message.channel_id, message.id),
        actions=[count.set((count | 0) + 1)],
        condition=condition,
        on_fail=Invalid(
            "A message holds at most 20 different reactions.", code="too_many_reactions"
        ),
    )


class _AlreadyReacted(Invalid):
    code = "already_reacted"

    def __init__(self) -> None:
        super().__init__("You already reacted with that.")


def remove_reaction(tx: Transaction, message: Message, emoji: str, user_id: int) -> None:
    tx.delete(
        ReactionRecord(channel_pk(message.channel_id), reaction_sk(message.id, emoji, user_id)),
        condition=ReactionRecord.pk.exists(),
        on_fail=NotFound("No such reaction.", code="unknown_reaction"),
    )
    count = MessageRecord.reactions[emoji]
    tx.update(
        _key(message.channel_id, message.id),
        actions=[count.set(count - 1)],
        condition=count > 0,
        on_fail=unknown_message(),
    )


def reacted(
    channel_id: int, message_ids: Iterable[tuple[int, str]], user_id: int
) -> set[tuple[int, str]]:
    """Which of (message, emoji) the user reacted with ("me"): one BatchGet."""
    wanted = list(dict.fromkeys(message_ids))
    if not wanted:
        return set()
    with store_errors():
        records = ReactionRecord.batch_get(
            [(channel_pk(channel_id), reaction_sk(m, e, user_id)) for m, e in wanted]
        )
        return {(int(r.message_id), r.emoji) for r in records if isinstance(r, ReactionRecord)}


def pin(tx: Transaction, message: Message, pinned: bool) -> None:
    """Pin (at most 50 per channel) or unpin; the counter changes with the flag."""
    counter = PinCounter(channel_pk(message.channel_id), PINS_SK)
    if pinned:
        tx.update(
            counter,
            actions=[
                PinCounter.pins.set((PinCounter.pins | 0) + 1),
                PinCounter.kind.set(PinCounter),
            ],
            condition=PinCounter.pins.does_not_exist() | (PinCounter.pins < MAX_PINS),
            on_fail=Invalid(f"A channel holds at most {MAX_PINS} pins.", code="too_many_pins"),
        )
    else:
        tx.update(
            counter,
            actions=[PinCounter.pins.set(PinCounter.pins - 1)],
            condition=PinCounter.pins > 0,
            on_fail=NotFound("The message is not pinned.", code="not_pinned"),
        )
    tx.update(
        _key(message.channel_id, message.id),
        actions=[MessageRecord.pinned.set(pinned)],
        condition=MessageRecord.pk.exists() & (MessageRecord.pinned == (not pinned)),
        on_fail=Invalid("The message is already so.", code="pin_unchanged"),
    )
