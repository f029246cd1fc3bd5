"""Ban commands: ban (removing the member if they are one), unban, list. A banned user cannot
rejoin: every join checks the ban inside its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.errors import Forbidden
from shared.guilds.access import guild_access, rank_of
from shared.guilds.domain.ban import Ban
from shared.guilds.domain.permissions import Permission
from shared.guilds.guilds import removal_events
from shared.guilds.storage import bans as ban_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.outbox.domain.events import AuditAction, AuditRecord, EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction

__all__ = ["ban", "list_bans", "unban"]


def _now() -> datetime:
    return datetime.now(UTC)


def _ban_data(guild_id: int, user_id: int) -> dict[str, Any]:
    return {"guild_id": str(guild_id), "user": {"id": str(user_id)}}


@retry_stale
def ban(guild_id: int, actor_id: int, target_id: int, reason: str | None) -> None:
    """Ban a user (BAN_MEMBERS); a member must rank below the caller and is removed too."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.BAN_MEMBERS)
    if target_id == access.guild.owner_id or target_id == actor_id:
        raise Forbidden("You cannot ban this user.", code="role_hierarchy")
    found = member_store.get(guild_id, target_id)
    tx = Transaction()
    ban_store.insert(tx, Ban(guild_id, target_id, reason), banned_by=actor_id)
    if found is None:
        guild_store.check_live(tx, guild_id)
    else:
        target = rank_of(access, *found)
        if not access.outranks(target):
            raise Forbidden(
                "You can only act on members whose highest role is below yours.",
                code="role_hierarchy",
            )
        member_store.remove(tx, target.member, target.version)
        guild_store.bump_counts(tx, guild_id, members=-1)
        removal_events(tx, guild_id, target_id, actor_id=actor_id, audit=None, now=now)
    outbox.emit(tx, _ban_event(True, guild_id, actor_id, target_id, reason), now)
    tx.commit()


def unban(guild_id: int, actor_id: int, target_id: int, reason: str | None) -> None:
    """Lift a ban (BAN_MEMBERS); 404 when there is none."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.BAN_MEMBERS)
    tx = Transaction()
    guild_store.check_live(tx, guild_id)
    ban_store.remove(tx, guild_id, target_id)
    outbox.emit(tx, _ban_event(False, guild_id, actor_id, target_id, reason), now)
    tx.commit()


def _ban_event(
    added: bool, guild_id: int, actor_id: int, target_id: int, reason: str | None
) -> GatewayEvent:
    """GUILD_BAN_ADD (``added``) or GUILD_BAN_REMOVE, with its audit log entry."""
    name = EventName.GUILD_BAN_ADD if added else EventName.GUILD_BAN_REMOVE
    action = AuditAction.MEMBER_BAN_ADD if added else AuditAction.MEMBER_BAN_REMOVE
    audit = AuditRecord(action, target_id, (), reason)
    return GatewayEvent(
        name, guild_id, _ban_data(guild_id, target_id), actor_id=actor_id, audit=audit
    )


def list_bans(guild_id: int, actor_id: int, *, after: int, limit: int) -> list[dict[str, Any]]:
    access = guild_access(guild_id, actor_id, _now())
    access.require(Permission.BAN_MEMBERS)
    return [b.as_json() for b in ban_store.page(guild_id, after=after, limit=limit)]
