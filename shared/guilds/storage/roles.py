"""Role items: ``PK=GUILD#g, SK=ROLE#r``. ``@everyone``'s id is the guild's id."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from shared.errors import NotFound
from shared.guilds.domain.permissions import Permission
from shared.guilds.domain.role import Role
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import ROLE_SK_PREFIX, guild_pk, role_sk
from shared.table.transaction import Transaction

__all__ = [
    "RoleRecord",
    "check_exists",
    "get",
    "get_many",
    "insert",
    "list_for_guild",
    "record_of",
    "remove",
    "replace",
    "to_role",
    "unknown_role",
]


def unknown_role() -> NotFound:
    return NotFound("Unknown role.", code="unknown_role")


class RoleRecord(Entity, discriminator="role"):
    role_id = NumberAttribute()
    guild_id = NumberAttribute()
    name = UnicodeAttribute()
    permissions = NumberAttribute(default=0)
    position = NumberAttribute(default=0)
    color = NumberAttribute(default=0)
    hoist = BooleanAttribute(default=False)
    mentionable = BooleanAttribute(default=False)
    version = VersionAttribute()


def to_role(record: RoleRecord) -> Role:
    return Role(
        id=int(record.role_id),
        guild_id=int(record.guild_id),
        name=record.name,
        permissions=Permission(int(record.permissions)),
        position=int(record.position),
        color=int(record.color),
        hoist=bool(record.hoist),
        mentionable=bool(record.mentionable),
    )


def record_of(role: Role, version: int | None = None) -> RoleRecord:
    record = RoleRecord(
        guild_pk(role.guild_id),
        role_sk(role.id),
        role_id=role.id,
        guild_id=role.guild_id,
        name=role.name,
        permissions=int(role.permissions),
        position=role.position,
        color=role.color,
        hoist=role.hoist,
        mentionable=role.mentionable,
    )
    if version is not None:
        record.version = version
    return record


def get(guild_id: int, role_id: int) -> tuple[Role, int] | None:
    """The role and its version, or None."""
    record = get_item(RoleRecord, guild_pk(guild_id), role_sk(role_id))
    return None if record is None else (to_role(record), int(record.version or 0))


def get_many(guild_id: int, role_ids: Iterable[int]) -> dict[int, Role]:
    """The roles among these ids that exist (deleted ones are simply absent)."""
    keys = [(guild_pk(guild_id), role_sk(r)) for r in set(role_ids)]
    if not keys:
        return {}
    with store_errors():
        return {int(r.role_id): to_role(r) for r in RoleRecord.batch_get(keys)}


def list_for_guild(guild_id: int) -> list[Role]:
    """Every role of the guild (at most 250), lowest position first."""
    with store_errors():
        records = RoleRecord.query(
            guild_pk(guild_id), RoleRecord.sk.startswith(ROLE_SK_PREFIX), consistent_read=True
        )
        roles = [to_role(r) for r in records]
    return sorted(roles, key=lambda r: (r.position, r.id))


def insert(tx: Transaction, role: Role) -> None:
    tx.insert(record_of(role))


def replace(tx: Transaction, role: Role, version: int) -> None:
    """Write the role back, only if unchanged since ``version`` was read."""
    tx.put(record_of(role, version))


def remove(tx: Transaction, role: Role, version: int) -> None:
    tx.delete(record_of(role, version))


def check_exists(tx: Transaction, guild_id: int, role_id: int) -> None:
    """The transaction fails with 404 if the role was deleted meanwhile."""
    tx.check(
        RoleRecord, guild_pk(guild_id), role_sk(role_id), RoleRecord.pk.exists(), unknown_role()
    )
