"""Custom emoji items: ``PK=GUILD#g, SK=EMOJI#e``, beside the guild's roles."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from shared.emojis.domain.emoji import Emoji
from shared.errors import NotFound
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import EMOJI_SK_PREFIX, emoji_sk, guild_pk
from shared.table.transaction import Transaction

__all__ = ["EmojiRecord", "get", "insert", "list_for_guild", "remove", "replace", "unknown_emoji"]


def unknown_emoji() -> NotFound:
    return NotFound("Unknown emoji.", code="unknown_emoji")


class EmojiRecord(Entity, discriminator="emoji"):
    emoji_id = NumberAttribute()
    guild_id = NumberAttribute()
    name = UnicodeAttribute()
    animated = BooleanAttribute(default=False)
    content_type = UnicodeAttribute()
    user_id = NumberAttribute()
    roles = NumberSetAttribute(null=True)
    version = VersionAttribute()


def _to_emoji(record: EmojiRecord) -> Emoji:
    return Emoji(
        id=int(record.emoji_id),
        guild_id=int(record.guild_id),
        name=record.name,
        animated=bool(record.animated),
        content_type=record.content_type,
        user_id=int(record.user_id),
        roles=tuple(sorted(int(r) for r in record.roles or ())),
    )


def _record_of(emoji: Emoji, version: int | None = None) -> EmojiRecord:
    record = EmojiRecord(
        guild_pk(emoji.guild_id),
        emoji_sk(emoji.id),
        emoji_id=emoji.id,
        guild_id=emoji.guild_id,
        name=emoji.name,
        animated=emoji.animated,
        content_type=emoji.content_type,
        user_id=emoji.user_id,
        roles=set(emoji.roles) or None,
    )
    if version is not None:
        record.version = version
    return record


def get(guild_id: int, emoji_id: int) -> tuple[Emoji, int] | None:
    """The emoji and its version, or None (GetItem: another guild's emoji is not found)."""
    record = get_item(EmojiRecord, guild_pk(guild_id), emoji_sk(emoji_id))
    return None if record is None else (_to_emoji(record), int(record.version or 0))


def list_for_guild(guild_id: int) -> list[Emoji]:
    """Every custom emoji of the guild (at most 50), oldest first."""
    with store_errors():
        records = EmojiRecord.query(
            guild_pk(guild_id), EmojiRecord.sk.startswith(EMOJI_SK_PREFIX), consistent_read=True
        )
        return [_to_emoji(r) for r in records]


def insert(tx: Transaction, emoji: Emoji) -> None:
    tx.insert(_record_of(emoji))


def replace(tx: Transaction, emoji: Emoji, version: int) -> None:
    """Write the emoji back, only if unchanged since ``version`` was read."""
    tx.put(_record_of(emoji, version))


def remove(tx: Transaction, emoji: Emoji, version: int) -> None:
    tx.delete(_record_of(emoji, version))
