"""Guild items: ``PK=GUILD#g, SK=GUILD`` — name, owner, counters, and the deleted mark.

A deleted guild keeps its item (with ``deleted_at``) until the purge job has removed
everything under it; every read treats a marked guild as gone at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.errors import LimitReached, NotFound, ParleyError
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.guild import Guild
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import GUILD_SK, guild_pk
from shared.table.transaction import Transaction

__all__ = [
    "GuildRecord",
    "bump_counts",
    "check_live",
    "get",
    "get_many",
    "insert",
    "mark_deleted",
    "to_guild",
    "unknown_guild",
    "update_fields",
]


def unknown_guild() -> NotFound:
    return NotFound("Unknown guild.", code="unknown_guild")


class GuildRecord(Entity, discriminator="guild"):
    guild_id = NumberAttribute()
    name = UnicodeAttribute()
    owner_id = NumberAttribute()
    description = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    member_count = NumberAttribute(default=0)
    channel_count = NumberAttribute(default=0)
    role_count = NumberAttribute(default=0)
    emoji_count = NumberAttribute(default=0)
    deleted_at = UTCDateTimeAttribute(null=True)


def to_guild(record: GuildRecord) -> Guild:
    return Guild(
        id=int(record.guild_id),
        name=record.name,
        owner_id=int(record.owner_id),
        created_at=record.created_at,
        description=record.description,
        member_count=int(record.member_count),
    )


def _key(guild_id: int) -> GuildRecord:
    return GuildRecord(guild_pk(guild_id), GUILD_SK)


def _live() -> Condition:
    return GuildRecord.pk.exists() & GuildRecord.deleted_at.does_not_exist()


def get(guild_id: int) -> Guild | None:
    """The guild, or None when it does not exist or is deleted."""
    record = get_item(GuildRecord, guild_pk(guild_id), GUILD_SK)
    return None if record is None or record.deleted_at is not None else to_guild(record)


def get_many(guild_ids: Iterable[int]) -> dict[int, Guild]:
    """The live guilds among these ids (BatchGetItem, 100 keys a request)."""
    keys = [(guild_pk(g), GUILD_SK) for g in set(guild_ids)]
    with store_errors():
        records = list(GuildRecord.batch_get(keys)) if keys else []
    return {int(r.guild_id): to_guild(r) for r in records if r.deleted_at is None}


def insert(tx: Transaction, guild: Guild, *, channels: int, roles: int) -> None:
    tx.insert(
        GuildRecord(
            guild_pk(guild.id),
            GUILD_SK,
            guild_id=guild.id,
            name=guild.name,
            owner_id=guild.owner_id,
            description=guild.description,
            created_at=guild.created_at,
            member_count=guild.member_count,
            channel_count=channels,
            role_count=roles,
        )
    )


def check_live(tx: Transaction, guild_id: int) -> None:
    """The transaction fails with 404 if the guild is gone by the time it commits."""
    tx.check(GuildRecord, guild_pk(guild_id), GUILD_SK, _live(), unknown_guild())


def bump_counts(
    tx: Transaction,
    guild_id: int,
    *,
    members: int = 0,
    channels: int = 0,
    roles: int = 0,
    emojis: int = 0,
) -> None:
    """Move the guild's counters; growing one past its limit fails the whole transaction."""
    actions: list[Action] = []
    condition = _live()
    on_fail: ParleyError = unknown_guild()
    if members:
        actions.append(GuildRecord.member_count.add(members))
    capped = (
        ("channels", channels, GuildRecord.channel_count, limits.MAX_CHANNELS),
        ("roles", roles, GuildRecord.role_count, limits.MAX_ROLES),
        ("emojis", emojis, GuildRecord.emoji_count, limits.MAX_EMOJIS),
    )
    for kind, delta, count, most in capped:
        if delta:
            actions.append(count.add(delta))
        if delta > 0:
            condition &= count <= most - delta
            on_fail = LimitReached(f"A guild has at most {most} {kind}.", code=f"max_{kind}")
    tx.update(_key(guild_id), actions=actions, condition=condition, on_fail=on_fail)


def update_fields(tx: Transaction, guild: Guild) -> None:
    """Write the guild's editable fields (name, description)."""
    actions: list[Action] = [GuildRecord.name.set(guild.name)]
    if guild.description is None:
        actions.append(GuildRecord.description.remove())
    else:
        actions.append(GuildRecord.description.set(guild.description))
    tx.update(_key(guild.id), actions=actions, condition=_live(), on_fail=unknown_guild())


def mark_deleted(tx: Transaction, guild_id: int, owner_id: int, now: datetime) -> None:
    """Mark the guild deleted; only while ``owner_id`` still owns it."""
    tx.update(
        _key(guild_id),
        actions=[GuildRecord.deleted_at.set(now)],
        condition=_live() & (GuildRecord.owner_id == owner_id),
        on_fail=unknown_guild(),
    )
