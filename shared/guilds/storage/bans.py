"""Ban items: ``PK=GUILD#g, SK=BAN#u``. A join checks, in its own transaction, that none exists."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.errors import Forbidden, NotFound
from shared.guilds.domain.ban import Ban
from shared.table.entity import Entity, get_item, page_of_kind
from shared.table.keys import BAN_SK_PREFIX, ban_sk, guild_pk
from shared.table.transaction import Transaction

__all__ = [
    "BanRecord",
    "banned",
    "check_not_banned",
    "get",
    "insert",
    "page",
    "remove",
    "unknown_ban",
]


def banned() -> Forbidden:
    return Forbidden("You are banned from this guild.", code="banned")


def unknown_ban() -> NotFound:
    return NotFound("Unknown ban.", code="unknown_ban")


class BanRecord(Entity, discriminator="ban"):
    guild_id = NumberAttribute()
    user_id = NumberAttribute()
    reason = UnicodeAttribute(null=True)
    banned_by = NumberAttribute(null=True)


def _to_ban(record: BanRecord) -> Ban:
    return Ban(guild_id=int(record.guild_id), user_id=int(record.user_id), reason=record.reason)


def get(guild_id: int, user_id: int) -> Ban | None:
    record = get_item(BanRecord, guild_pk(guild_id), ban_sk(user_id))
    return None if record is None else _to_ban(record)


def page(guild_id: int, *, after: int, limit: int) -> list[Ban]:
    """Bans of users with an id above ``after``, in id order."""
    first = ban_sk(after + 1)
    return [
        _to_ban(r) for r in page_of_kind(BanRecord, guild_pk(guild_id), first, BAN_SK_PREFIX, limit)
    ]


def insert(tx: Transaction, ban: Ban, banned_by: int) -> None:
    """Ban (or re-ban with a new reason)."""
    tx.put(
        BanRecord(
            guild_pk(ban.guild_id),
            ban_sk(ban.user_id),
            guild_id=ban.guild_id,
            user_id=ban.user_id,
            reason=ban.reason,
            banned_by=banned_by,
        )
    )


def remove(tx: Transaction, guild_id: int, user_id: int) -> None:
    tx.delete(
        BanRecord(guild_pk(guild_id), ban_sk(user_id)),
        condition=BanRecord.pk.exists(),
        on_fail=unknown_ban(),
    )


def check_not_banned(tx: Transaction, guild_id: int, user_id: int) -> None:
    """The transaction fails with 403 if the user is banned when it commits."""
    tx.check(
        BanRecord,
        guild_pk(guild_id),
        ban_sk(user_id),
        BanRecord.pk.does_not_exist(),
        banned(),
    )
