"""Role commands: list, create, update, delete. Nobody manages a role at or above their highest,
and nobody but the owner and administrators gives permissions they do not have."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.errors import Invalid
from shared.guilds.access import Access, guild_access, role_hierarchy
from shared.guilds.domain.permissions import Permission
from shared.guilds.domain.role import Role
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import roles as role_store
from shared.ids import new_id
from shared.outbox.domain.events import AuditAction, AuditRecord, EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction
from shared.voice import states as voice

__all__ = ["create_role", "delete_role", "list_roles", "update_role"]

_ROLE_FIELDS = ("name", "permissions", "color", "hoist", "mentionable", "position")


def _now() -> datetime:
    return datetime.now(UTC)


def _event(name: EventName, role: Role, actor_id: int, audit: AuditRecord) -> GatewayEvent:
    return GatewayEvent(
        name,
        role.guild_id,
        {"guild_id": str(role.guild_id), "role": role.as_json()},
        actor_id=actor_id,
        audit=audit,
    )


def list_roles(guild_id: int, user_id: int) -> list[dict[str, Any]]:
    guild_access(guild_id, user_id, _now())
    return [r.as_json() for r in role_store.list_for_guild(guild_id)]


def create_role(
    guild_id: int, actor_id: int, fields: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """A new role just above ``@everyone`` (position 1), as Discord places it."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_ROLES)
    permissions = fields.get("permissions", Permission(0))
    access.require_grant(permissions)
    role = Role(
        id=new_id(),
        guild_id=guild_id,
        name=fields.get("name") or "new role",
        permissions=permissions,
        position=1,
        color=fields.get("color", 0),
        hoist=fields.get("hoist", False),
        mentionable=fields.get("mentionable", False),
    )
    tx = Transaction()
    guild_store.bump_counts(tx, guild_id, roles=1)
    role_store.insert(tx, role)
    audit = AuditRecord.of_change(
        AuditAction.ROLE_CREATE, role.id, {}, role.as_json(), _ROLE_FIELDS, reason
    )
    outbox.emit(tx, _event(EventName.GUILD_ROLE_CREATE, role, actor_id, audit), now)
    tx.commit()
    return role.as_json()


def _managed_role(access: Access, role_id: int) -> tuple[Role, int]:
    found = role_store.get(access.guild.id, role_id)
    if found is None:
        raise role_store.unknown_role()
    access.require_manage(found[0])
    return found


@retry_stale
def update_role(
    guild_id: int, actor_id: int, role_id: int, fields: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """Edit a role below the caller's highest (``@everyone``: its permissions only)."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_ROLES)
    before, version = _managed_role(access, role_id)
    if before.is_everyone and fields.keys() - {"permissions"}:
        raise Invalid("Only @everyone's permissions can change.", code="invalid_everyone_edit")
    if "permissions" in fields:
        added = Permission(fields["permissions"] & ~before.permissions)
        access.require_grant(added)
    if "position" in fields:
        position = fields["position"]
        if position < 1 or not (access.is_owner or position < access.highest):
            raise role_hierarchy()
    after = replace(before, **{k: v for k, v in fields.items() if k in _ROLE_FIELDS})
    audit = AuditRecord.of_change(
        AuditAction.ROLE_UPDATE, role_id, before.as_json(), after.as_json(), _ROLE_FIELDS, reason
    )
    if not audit.changes:
        return after.as_json()
    tx = Transaction()
    guild_store.check_live(tx, guild_id)
    role_store.replace(tx, after, version)
    outbox.emit(tx, _event(EventName.GUILD_ROLE_UPDATE, after, actor_id, audit), now)
    tx.commit()
    if after.permissions != before.permissions:
        voice.enforce(guild_id, actor_id)  # CONNECT taken from a role: its holders leave voice
    return after.as_json()


@retry_stale
def delete_role(guild_id: int, actor_id: int, role_id: int, reason: str | None) -> None:
    """Delete a role below the caller's highest. Members keep the stale id until their next
    change; every read ignores roles that no longer exist."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_ROLES)
    role, version = _managed_role(access, role_id)
    if role.is_everyone:
        raise Invalid("@everyone cannot be deleted.", code="invalid_everyone_edit")
    tx = Transaction()
    role_store.remove(tx, role, version)
    guild_store.bump_counts(tx, guild_id, roles=-1)
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.GUILD_ROLE_DELETE,
            guild_id,
            {"guild_id": str(guild_id), "role_id": str(role_id)},
            actor_id=actor_id,
            audit=AuditRecord.of_change(
                AuditAction.ROLE_DELETE, role_id, role.as_json(), {}, _ROLE_FIELDS, reason
            ),
        ),
        now,
    )
    tx.commit()
    voice.enforce(guild_id, actor_id)  # CONNECT may have come from the deleted role
