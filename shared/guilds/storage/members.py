"""Member items: ``PK=GUILD#g, SK=MEMBER#u``, indexed in GSI1 as ``USER#u`` / ``GUILD#g``.

The guild partition lists a guild's members in user id order; the inverted GSI1 lists a user's
guilds in guild id order. Both page with ``after=<id>`` as a key range.

Beside each member, the name index: ``SK=MEMBERNAME#<folded name>#u``, one item per distinct
folded name of the member (username, display name, nick), written in the transaction that writes
the member, so that a name prefix is one ``begins_with`` Query of the guild's partition.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import (
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from shared.errors import NotFound, ParleyError
from shared.guilds.domain.member import Member
from shared.table.entity import Entity, get_item, page_of_kind, store_errors
from shared.table.keys import (
    GUILD_GSI_PREFIX,
    MEMBER_SK_PREFIX,
    guild_pk,
    member_name_prefix,
    member_name_sk,
    member_sk,
    user_guilds_sk,
    user_pk,
)
from shared.table.transaction import Transaction

__all__ = [
    "MemberRecord",
    "get",
    "get_many",
    "guild_ids_of",
    "insert",
    "page",
    "record_of",
    "remove",
    "replace",
    "search",
    "to_member",
    "unknown_member",
]


def unknown_member() -> NotFound:
    return NotFound("Unknown member.", code="unknown_member")


class MemberRecord(Entity, discriminator="member"):
    guild_id = NumberAttribute()
    user_id = NumberAttribute()
    nick = UnicodeAttribute(null=True)
    roles = NumberSetAttribute(null=True)
    joined_at = UTCDateTimeAttribute()
    communication_disabled_until = UTCDateTimeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    global_name = UnicodeAttribute(null=True)
    version = VersionAttribute()


class MemberNameRecord(Entity, discriminator="member_name"):
    """One entry of the guild's member name index."""

    user_id = NumberAttribute()
    name = UnicodeAttribute()


def to_member(record: MemberRecord) -> Member:
    return Member(
        guild_id=int(record.guild_id),
        user_id=int(record.user_id),
        joined_at=record.joined_at,
        nick=record.nick,
        roles=frozenset(int(r) for r in (record.roles or ())),
        communication_disabled_until=record.communication_disabled_until,
        username=record.username,
        global_name=record.global_name,
    )


def record_of(member: Member, version: int | None = None) -> MemberRecord:
    record = MemberRecord(
        guild_pk(member.guild_id),
        member_sk(member.user_id),
        guild_id=member.guild_id,
        user_id=member.user_id,
        nick=member.nick,
        roles=set(member.roles) or None,
        joined_at=member.joined_at,
        communication_disabled_until=member.communication_disabled_until,
        username=member.username,
        global_name=member.global_name,
        gsi1pk=user_pk(member.user_id),
        gsi1sk=user_guilds_sk(member.guild_id),
    )
    if version is not None:
        record.version = version
    return record


def get(guild_id: int, user_id: int) -> tuple[Member, int] | None:
    """The member and its version, or None when the user is not a member."""
    record = get_item(MemberRecord, guild_pk(guild_id), member_sk(user_id))
    return None if record is None else (to_member(record), int(record.version or 0))


def page(guild_id: int, *, after: int, limit: int) -> list[Member]:
    """Members with a user id above ``after``, in id order (one Query)."""
    first = member_sk(after + 1)
    records = page_of_kind(MemberRecord, guild_pk(guild_id), first, MEMBER_SK_PREFIX, limit)
    return [to_member(r) for r in records]


def guild_ids_of(user_id: int, *, after: int, before: int | None, limit: int) -> list[int]:
    """The ids of a user's guilds above ``after`` (and below ``before``), in id order: one
    Query of the inverted index, never a scan."""
    upper = user_guilds_sk(before - 1) if before is not None else f"{GUILD_GSI_PREFIX}~"
    if before is not None and before <= after + 1:
        return []
    with store_errors():
        records = MemberRecord.gsi1.query(
            user_pk(user_id),
            MemberRecord.gsi1sk.between(user_guilds_sk(after + 1), upper),
            limit=limit,
            page_size=limit,
        )
        return [int(r.guild_id) for r in records if isinstance(r, MemberRecord)]


def _name_record(guild_id: int, user_id: int, name: str) -> MemberNameRecord:
    return MemberNameRecord(
        guild_pk(guild_id), member_name_sk(name, user_id), user_id=user_id, name=name
    )


def _index(tx: Transaction, before: frozenset[str], after: Member) -> None:
    """Bring the member's name index entries from ``before`` to ``after``'s names."""
    names = after.index_names()
    for gone in sorted(before - names):
        tx.delete(_name_record(after.guild_id, after.user_id, gone))
    for new in sorted(names - before):
        tx.put(_name_record(after.guild_id, after.user_id, new), on_fail=None)


def insert(tx: Transaction, member: Member, on_exists: ParleyError) -> None:
    tx.put(record_of(member), condition=MemberRecord.pk.does_not_exist(), on_fail=on_exists)
    _index(tx, frozenset(), member)


def replace(tx: Transaction, before: Member, after: Member, version: int) -> None:
    """Write the member back (``before`` as it was read), only if unchanged since ``version``
    was read; its name index entries follow its names."""
    tx.put(record_of(after, version), on_fail=None)
    _index(tx, before.index_names(), after)


def remove(tx: Transaction, member: Member, version: int) -> None:
    tx.delete(record_of(member, version))
    for name in sorted(member.index_names()):
        tx.delete(_name_record(member.guild_id, member.user_id, name))


def search(guild_id: int, folded: str, limit: int) -> list[int]:
    """The ids of up to ``limit`` members with a name starting with ``folded``, by name then
    id, each once: one Query of the name index. A member has at most three entries, so
    ``3 * limit`` entries hold ``limit`` distinct members whenever that many match."""
    found: list[int] = []
    with store_errors():
        records = MemberNameRecord.query(
            guild_pk(guild_id),
            MemberNameRecord.sk.startswith(member_name_prefix(folded)),
            consistent_read=True,
            limit=3 * limit,
            page_size=3 * limit,
        )
        for record in records:
            # The key joins name and id with "#": a query holding "#" must not match an id.
            user_id = int(record.user_id)
            if record.name.startswith(folded) and user_id not in found:
                found.append(user_id)
    return found[:limit]


def get_many(guild_id: int, user_ids: Iterable[int]) -> dict[int, Member]:
    """The members among ``user_ids`` (BatchGetItem; the others are not members)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    with store_errors():
        records = MemberRecord.batch_get(
            [(guild_pk(guild_id), member_sk(u)) for u in wanted], consistent_read=True
        )
        return {int(r.user_id): to_member(r) for r in records if isinstance(r, MemberRecord)}
