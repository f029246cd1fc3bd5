"""Member commands: list, kick, nickname, timeout, role assignment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.errors import Forbidden, Invalid
from shared.guilds.access import Access, Rank, guild_access, rank_of
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.member import Member, fold_name
from shared.guilds.domain.permissions import Permission
from shared.guilds.guilds import removal_events
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.guilds.storage import roles as role_store
from shared.outbox.domain.events import (
    AuditAction,
    AuditRecord,
    Change,
    EventName,
    GatewayEvent,
    changes_between,
)
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction
from shared.voice import states as voice

__all__ = [
    "UNSET",
    "add_role",
    "kick",
    "list_members",
    "profile_changed",
    "remove_role",
    "search_members",
    "update_member",
]

#: A field the request did not mention (as opposed to one set to null).
UNSET: Any = object()


def _now() -> datetime:
    return datetime.now(UTC)


def list_members(guild_id: int, user_id: int, *, after: int, limit: int) -> list[dict[str, Any]]:
    """A page of the guild's members, in user id order (members only)."""
    guild_access(guild_id, user_id, _now())
    role_ids = frozenset(r.id for r in role_store.list_for_guild(guild_id))
    return [m.as_json(role_ids) for m in member_store.page(guild_id, after=after, limit=limit)]


def search_members(guild_id: int, user_id: int, query: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` members whose username, display name or nick starts with ``query``
    (case-folded), by matching name then id, each once (members only): one Query of the
    guild's name index and one BatchGetItem, never the whole member list."""
    guild_access(guild_id, user_id, _now())
    folded = fold_name(query)
    if not folded.strip():
        raise Invalid("The query needs at least one character.", code="invalid_query")
    ids = member_store.search(guild_id, folded, limit)
    found = member_store.get_many(guild_id, ids)
    role_ids = frozenset(r.id for r in role_store.list_for_guild(guild_id))
    return [_found_json(found[i], role_ids) for i in ids if i in found]


def _found_json(member: Member, role_ids: frozenset[int]) -> dict[str, Any]:
    user = {"id": str(member.user_id), "username": member.username}
    return {**member.as_json(role_ids), "user": {**user, "global_name": member.global_name}}


def profile_changed(user_id: int, profile: dict[str, Any]) -> None:
    """A user's public profile changed (display name, username): each of their guilds hears
    GUILD_MEMBER_UPDATE with the member and the new profile, so that every member list and
    message shows the new name at once (Discord's way; USER_UPDATE is for the user alone), and
    the guild's name index finds them under the new names from then on."""
    now = _now()
    after = 0
    while True:
        guild_ids = member_store.guild_ids_of(user_id, after=after, before=None, limit=100)
        for guild_id in guild_ids:
            _renamed_in(guild_id, user_id, profile, now)
        if len(guild_ids) < 100:
            return
        after = guild_ids[-1]


@retry_stale
def _renamed_in(guild_id: int, user_id: int, profile: dict[str, Any], now: datetime) -> None:
    found = member_store.get(guild_id, user_id)
    if found is None:
        return  # left meanwhile
    member, version = found
    renamed = replace(member, username=profile["username"], global_name=profile["global_name"])
    data = {"guild_id": str(guild_id), **renamed.as_json(), "user": profile}
    tx = Transaction()
    member_store.replace(tx, member, renamed, version)
    outbox.emit(
        tx, GatewayEvent(EventName.GUILD_MEMBER_UPDATE, guild_id, data, actor_id=user_id), now
    )
    tx.commit()


def _target(access: Access, user_id: int) -> Rank:
    found = member_store.get(access.guild.id, user_id)
    if found is None:
        raise member_store.unknown_member()
    return rank_of(access, *found)


def _below(access: Access, target: Rank) -> None:
    if not access.outranks(target):
        raise Forbidden(
            "You can only act on members whose highest role is below yours.",
            code="role_hierarchy",
        )


def _member_event(
    guild_id: int, member: Member, actor_id: int, audit: AuditRecord | None
) -> GatewayEvent:
    return GatewayEvent(
        EventName.GUILD_MEMBER_UPDATE,
        guild_id,
        {"guild_id": str(guild_id), **member.as_json()},
        actor_id=actor_id,
        audit=audit,
    )


@retry_stale
def kick(guild_id: int, actor_id: int, target_id: int, reason: str | None) -> None:
    """Remove a member (KICK_MEMBERS, and a higher role than theirs)."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.KICK_MEMBERS)
    target = _target(access, target_id)
    _below(access, target)
    tx = Transaction()
    member_store.remove(tx, target.member, target.version)
    guild_store.bump_counts(tx, guild_id, members=-1)
    audit = AuditRecord(AuditAction.MEMBER_KICK, target_id, (), reason)
    removal_events(tx, guild_id, target_id, actor_id=actor_id, audit=audit, now=now)
    tx.commit()


@retry_stale
def update_member(
    guild_id: int,
    actor_id: int,
    target_id: int,
    *,
    nick: str | None = UNSET,
    communication_disabled_until: datetime | None = UNSET,
    reason: str | None = None,
) -> dict[str, Any]:
    """Change a member's nickname and/or timeout.

    Your own nickname needs CHANGE_NICKNAME; another's MANAGE_NICKNAMES and a higher role. A
    timeout needs MODERATE_MEMBERS and a higher role, cannot be given to an administrator or
    the owner, and lasts at most 28 days.
    """
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    target = _target(access, target_id)
    updated = target.member
    if nick is not UNSET:
        if target_id == actor_id and not access.permissions & Permission.MANAGE_NICKNAMES:
            access.require(Permission.CHANGE_NICKNAME)
        elif target_id != actor_id:
            access.require(Permission.MANAGE_NICKNAMES)
            _below(access, target)
        updated = replace(updated, nick=nick or None)
    if communication_disabled_until is not UNSET:
        access.require(Permission.MODERATE_MEMBERS)
        _below(access, target)
        if target.is_admin:
            raise Forbidden("Administrators cannot be timed out.", code="cannot_timeout_admin")
        until = communication_disabled_until
        if until is not None:
            if until.tzinfo is None:
                raise Invalid("The time needs a timezone.", code="invalid_timeout")
            if until > now + limits.MAX_TIMEOUT:
                raise Invalid("A timeout lasts at most 28 days.", code="invalid_timeout")
            if until <= now:
                until = None  # a timeout that has already ended is no timeout
        updated = replace(updated, communication_disabled_until=until)
    diff = changes_between(
        target.member.as_json(), updated.as_json(), ("nick", "communication_disabled_until")
    )
    if not diff:
        return updated.as_json()
    tx = Transaction()
    guild_store.check_live(tx, guild_id)
    member_store.replace(tx, target.member, updated, target.version)
    audit = AuditRecord(AuditAction.MEMBER_UPDATE, target_id, diff, reason)
    outbox.emit(tx, _member_event(guild_id, updated, actor_id, audit), now)
    tx.commit()
    if updated.timed_out(now):
        voice.enforce(guild_id, actor_id)  # a timed-out member may not stay in voice
    return updated.as_json()


def add_role(
    guild_id: int, actor_id: int, target_id: int, role_id: int, reason: str | None
) -> None:
    """Give a member a role (MANAGE_ROLES, the role below the caller's highest, and none of
    its permissions beyond the caller's)."""
    _change_role(guild_id, actor_id, target_id, role_id, reason, add=True)


def remove_role(
    guild_id: int, actor_id: int, target_id: int, role_id: int, reason: str | None
) -> None:
    """Take a role from a member (same rules as giving it)."""
    _change_role(guild_id, actor_id, target_id, role_id, reason, add=False)


@retry_stale
def _change_role(
    guild_id: int, actor_id: int, target_id: int, role_id: int, reason: str | None, *, add: bool
) -> None:
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_ROLES)
    found = role_store.get(guild_id, role_id)
    if found is None or found[0].is_everyone:
        raise role_store.unknown_role()
    role = found[0]
    access.require_manage(role)
    # Giving a role hands out its permissions, taking it away takes them: either only by
    # someone who holds them (the owner and administrators hold all), as creating it would be.
    access.require_grant(role.permissions)
    target = _target(access, target_id)
    roles = target.member.roles | {role_id} if add else target.member.roles - {role_id}
    if roles == target.member.roles:
        return
    updated = replace(target.member, roles=roles)
    tx = Transaction()
    guild_store.check_live(tx, guild_id)
    role_store.check_exists(tx, guild_id, role_id)
    member_store.replace(tx, target.member, updated, target.version)
    change = Change("$add" if add else "$remove", None, [{"id": str(role.id), "name": role.name}])
    audit = AuditRecord(AuditAction.MEMBER_ROLE_UPDATE, target_id, (change,), reason)
    outbox.emit(tx, _member_event(guild_id, updated, actor_id, audit), now)
    tx.commit()
    voice.enforce(guild_id, actor_id)  # a role taken (or a role's overwrite) may end CONNECT
