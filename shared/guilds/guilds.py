"""Guild commands: create, read, update, delete, list a user's guilds, leave."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.auth.storage import users as user_store
from shared.emojis.domain.emoji import Emoji
from shared.emojis.storage import emojis as emoji_store
from shared.errors import Invalid
from shared.guilds.access import guild_access
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.guild import Guild, check_guild_name
from shared.guilds.domain.member import Member
from shared.guilds.domain.permissions import DEFAULT_EVERYONE, Permission, compute_permissions
from shared.guilds.domain.role import EVERYONE_NAME, Role
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.guilds.storage import purge as purge_store
from shared.guilds.storage import roles as role_store
from shared.ids import new_id
from shared.outbox.domain.events import AuditAction, AuditRecord, EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.keys import guild_invites_pk, guild_pk
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction

__all__ = [
    "OUTBOX_DATA_MAX",
    "create_guild",
    "delete_guild",
    "event_snapshot",
    "get_guild",
    "guild_create_for",
    "leave_guild",
    "list_my_guilds",
    "removal_events",
    "snapshot",
    "snapshot_for",
    "update_guild",
    "viewable_channels",
]

#: The largest ``d`` an outbox item carries; a bigger guild snapshot is sent without channels
#: (``"partial": true``): the joiner has them from the join's REST answer, which is not capped,
#: and at their next IDENTIFY.
OUTBOX_DATA_MAX = 300_000


def _now() -> datetime:
    return datetime.now(UTC)


def snapshot(guild_id: int) -> dict[str, Any]:
    """The full guild object (roles and channels), as GUILD_CREATE carries it."""
    guild = guild_store.get(guild_id)
    if guild is None:
        raise guild_store.unknown_guild()
    return _snapshot(
        guild,
        role_store.list_for_guild(guild_id),
        channel_store.list_for_guild(guild_id),
        emoji_store.list_for_guild(guild_id),
    )


def snapshot_for(guild_id: int, user_id: int, *, joining: bool = False) -> dict[str, Any]:
    """The guild as ``user_id`` sees it: its roles, and only the channels they may view. One
    who is not a member sees none, unless ``joining``: then as a member with no role but
    ``@everyone``."""
    guild = guild_store.get(guild_id)
    if guild is None:
        raise guild_store.unknown_guild()
    roles = role_store.list_for_guild(guild_id)
    found = member_store.get(guild_id, user_id)
    now = _now()
    if found is not None:
        member = found[0]
    elif joining:
        member = Member(guild_id=guild_id, user_id=user_id, joined_at=now)
    else:
        return _snapshot(guild, roles, [])
    channels = channel_store.list_for_guild(guild_id)
    viewable = viewable_channels(guild, roles, member, channels, now)
    return _snapshot(guild, roles, viewable, emoji_store.list_for_guild(guild_id))


def viewable_channels(
    guild: Guild, roles: Iterable[Role], member: Member, channels: Iterable[Channel], now: datetime
) -> list[Channel]:
    """Those of the guild's ``channels`` the member may VIEW_CHANNEL (``roles``: the guild's)."""
    by_id = {r.id: r.permissions for r in roles}
    mine = {r: by_id[r] for r in member.roles if r in by_id}
    timed_out = member.timed_out(now)
    return [
        c
        for c in channels
        if compute_permissions(
            guild_id=guild.id,
            owner_id=guild.owner_id,
            user_id=member.user_id,
            everyone=by_id.get(guild.id, 0),
            roles=mine,
            overwrites=c.overwrites,
            timed_out=timed_out,
        )
        & Permission.VIEW_CHANNEL
    ]


def _snapshot(
    guild: Guild, roles: list[Role], channels: list[Channel], emojis: Sequence[Emoji] = ()
) -> dict[str, Any]:
    return {
        **guild.as_json(),
        "roles": [r.as_json() for r in roles],
        "channels": [c.as_json() for c in channels],
        "emojis": [e.as_json() for e in emojis],
    }


def event_snapshot(full: dict[str, Any]) -> dict[str, Any]:
    """A snapshot small enough for one outbox item."""
    if len(json.dumps(full, separators=(",", ":"))) <= OUTBOX_DATA_MAX:
        return full
    return {**full, "channels": None, "partial": True}


def guild_create_for(guild_id: int, full: dict[str, Any], user_id: int) -> GatewayEvent:
    """GUILD_CREATE for one user who now belongs to the guild (its owner, or one who joined),
    with the snapshot ``full`` as one outbox item holds it."""
    return GatewayEvent(
        EventName.GUILD_CREATE, guild_id, event_snapshot(full), actor_id=user_id, user_id=user_id
    )


def create_guild(owner_id: int, name: str) -> dict[str, Any]:
    """A new guild owned by the caller, with ``@everyone`` and a text and a voice channel."""
    now = _now()
    guild_id = new_id()
    guild = Guild(
        id=guild_id,
        name=check_guild_name(name),
        owner_id=owner_id,
        created_at=now,
        member_count=1,
    )
    everyone = Role(
        id=guild_id,
        guild_id=guild_id,
        name=EVERYONE_NAME,
        permissions=DEFAULT_EVERYONE,
        position=0,
    )
    channels = [
        Channel(id=new_id(), guild_id=guild_id, type=ChannelType.TEXT, name="general"),
        Channel(
            id=new_id(),
            guild_id=guild_id,
            type=ChannelType.VOICE,
            name="General",
            bitrate=64_000,
            user_limit=0,
        ),
    ]
    full = _snapshot(guild, [everyone], channels)
    tx = Transaction()
    guild_store.insert(tx, guild, channels=len(channels), roles=1)
    role_store.insert(tx, everyone)
    for channel in channels:
        channel_store.insert(tx, channel)
    member_store.insert(
        tx,
        joining_member(guild_id, owner_id, now),
        on_exists=Invalid("Try again.", code="id_collision"),
    )
    outbox.emit(tx, guild_create_for(guild_id, full, owner_id), now)
    tx.commit()
    return full


def get_guild(guild_id: int, user_id: int) -> dict[str, Any]:
    """The guild with its roles, for a member."""
    access = guild_access(guild_id, user_id, _now())
    roles = role_store.list_for_guild(guild_id)
    return {
        **access.guild.as_json(),
        "roles": [r.as_json() for r in roles],
        "permissions": str(int(access.permissions)),
    }


_GUILD_FIELDS = ("name", "description")


def update_guild(
    guild_id: int, user_id: int, changes: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """Rename or describe the guild (MANAGE_GUILD)."""
    now = _now()
    access = guild_access(guild_id, user_id, now)
    access.require(Permission.MANAGE_GUILD)
    before = access.guild
    after = Guild(
        id=before.id,
        name=check_guild_name(changes["name"]) if "name" in changes else before.name,
        owner_id=before.owner_id,
        created_at=before.created_at,
        description=changes.get("description", before.description),
        member_count=before.member_count,
    )
    audit = AuditRecord.of_change(
        AuditAction.GUILD_UPDATE, guild_id, before.as_json(), after.as_json(), _GUILD_FIELDS, reason
    )
    if not audit.changes:
        return after.as_json()
    tx = Transaction()
    guild_store.update_fields(tx, after)
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.GUILD_UPDATE,
            guild_id,
            after.as_json(),
            actor_id=user_id,
            audit=audit,
        ),
        now,
    )
    tx.commit()
    return after.as_json()


def delete_guild(guild_id: int, user_id: int) -> None:
    """Delete the guild (owner only): marked gone at once, purged in the background."""
    now = _now()
    access = guild_access(guild_id, user_id, now)
    access.require_owner()
    tx = Transaction()
    guild_store.mark_deleted(tx, guild_id, user_id, now)
    purge_store.schedule(
        tx,
        purge_store.PurgeJob(
            f"guild-{guild_id}", partitions=[guild_pk(guild_id)], index=[guild_invites_pk(guild_id)]
        ),
    )
    outbox.emit(
        tx,
        GatewayEvent(EventName.GUILD_DELETE, guild_id, {"id": str(guild_id)}, actor_id=user_id),
        now,
    )
    tx.commit()


def list_my_guilds(
    user_id: int, *, after: int, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """The caller's guilds in id order: one Query of the inverted index, one BatchGetItem."""
    ids = member_store.guild_ids_of(user_id, after=after, before=before, limit=limit)
    guilds = guild_store.get_many(ids)
    return [
        {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "owner": g.owner_id == user_id,
        }
        for g in (guilds[i] for i in ids if i in guilds)
    ]


def joining_member(guild_id: int, user_id: int, now: datetime) -> Member:
    """A new member, with the names of their profile for the guild's name index."""
    record = user_store.get_user(user_id)
    user = record.user if record is not None else None
    return Member(
        guild_id=guild_id,
        user_id=user_id,
        joined_at=now,
        username=user.username if user else None,
        global_name=user.global_name if user else None,
    )


@retry_stale
def leave_guild(guild_id: int, user_id: int) -> None:
    """Leave a guild; its owner cannot (they delete it instead)."""
    now = _now()
    access = guild_access(guild_id, user_id, now)
    if access.is_owner:
        raise Invalid(
            "The owner cannot leave the guild; delete it instead.", code="owner_cannot_leave"
        )
    tx = Transaction()
    member_store.remove(tx, access.member, access.member_version)
    guild_store.bump_counts(tx, guild_id, members=-1)
    removal_events(tx, guild_id, user_id, actor_id=user_id, audit=None, now=now)
    tx.commit()


def removal_events(
    tx: Transaction,
    guild_id: int,
    user_id: int,
    *,
    actor_id: int,
    audit: AuditRecord | None,
    now: datetime,
) -> None:
    """A member left or was removed: the guild hears GUILD_MEMBER_REMOVE, they GUILD_DELETE."""
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.GUILD_MEMBER_REMOVE,
            guild_id,
            {"guild_id": str(guild_id), "user": {"id": str(user_id)}},
            actor_id=actor_id,
            audit=audit,
        ),
        now,
    )
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.GUILD_DELETE,
            guild_id,
            {"id": str(guild_id)},
            actor_id=actor_id,
            user_id=user_id,
        ),
        now,
    )
