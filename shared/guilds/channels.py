"""Channel commands: list, create, read, update, delete, reorder, permission overwrites.

Channel routes check permissions *in the channel* (overwrites may grant or deny
MANAGE_CHANNELS or MANAGE_ROLES there), through the same permission function as every route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.errors import Invalid, LimitReached, NotFound
from shared.guilds.access import Access, channel_access, guild_access, rank_of, role_hierarchy
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.permissions import Overwrite, OverwriteType, Permission
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.guilds.storage import purge as purge_store
from shared.guilds.storage import roles as role_store
from shared.ids import new_id
from shared.outbox.domain.events import (
    AuditAction,
    AuditRecord,
    EventName,
    GatewayEvent,
    changes_between,
)
from shared.outbox.storage import outbox
from shared.table.keys import channel_pk
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction
from shared.voice import states as voice

__all__ = [
    "create_channel",
    "delete_channel",
    "delete_overwrite",
    "get_channel",
    "list_channels",
    "orphan_children",
    "put_overwrite",
    "reorder_channels",
    "update_channel",
]

_CHANNEL_FIELDS = ("name", "type", "position", "parent_id", "topic", "bitrate", "user_limit")


def _now() -> datetime:
    return datetime.now(UTC)


def _event(
    name: EventName, channel: Channel, actor_id: int | None, audit: AuditRecord | None
) -> GatewayEvent:
    return GatewayEvent(
        name,
        channel.guild_id,
        channel.as_json(),
        actor_id=actor_id,
        channel_id=channel.id,
        audit=audit,
    )


def _visible(access: Access) -> None:
    """Channel routes need VIEW_CHANNEL first: a channel you cannot see is not yours to edit."""
    access.require(Permission.VIEW_CHANNEL)


def _managed_channel(channel_id: int, actor_id: int, now: datetime) -> tuple[Access, Channel]:
    """The channel an actor edits, who must see it and hold MANAGE_CHANNELS in it."""
    access = channel_access(channel_id, actor_id, now)
    _visible(access)
    access.require(Permission.MANAGE_CHANNELS)
    assert access.channel is not None
    return access, access.channel


def _check_parent(guild_id: int, parent_id: int | None, kind: ChannelType) -> None:
    if parent_id is None:
        return
    if kind is ChannelType.CATEGORY:
        raise Invalid("A category cannot have a parent.", code="invalid_parent")
    found = channel_store.get(guild_id, parent_id)
    if found is None or found[0].type is not ChannelType.CATEGORY:
        raise Invalid("The parent must be a category of this guild.", code="invalid_parent")


def _check_overwrite(
    access: Access, overwrite: Overwrite, previous: Overwrite | None, *, known: bool = True
) -> None:
    """Setting, changing or lifting an overwrite: MANAGE_ROLES, every bit it sets or lifts held
    by the caller (in the route's channel), and its role or member below the caller's highest
    role (``@everyone`` is below everyone; the owner is above all). ``known``: the target must
    exist (a lifted overwrite's role or member may be gone already)."""
    access.require(Permission.MANAGE_ROLES)
    lifted = 0 if previous is None else previous.allow | previous.deny
    access.require_grant(Permission(overwrite.allow | overwrite.deny | lifted), access.channel)
    guild_id = access.guild.id
    if overwrite.type is OverwriteType.ROLE:
        if overwrite.id == guild_id:
            return
        role = role_store.get(guild_id, overwrite.id)
        if role is None and known:
            raise role_store.unknown_role()
        if role is not None:
            access.require_manage(role[0])
        return
    member = member_store.get(guild_id, overwrite.id)
    if member is None and known:
        raise member_store.unknown_member()
    others = member is not None and overwrite.id != access.user_id
    if others and member is not None and not access.outranks(rank_of(access, *member)):
        raise role_hierarchy()


def list_channels(guild_id: int, user_id: int) -> list[dict[str, Any]]:
    """The guild's channels the caller can see, by position."""
    access = guild_access(guild_id, user_id, _now())
    return [
        c.as_json()
        for c in channel_store.list_for_guild(guild_id)
        if access.permissions_in(c) & Permission.VIEW_CHANNEL
    ]


def create_channel(
    guild_id: int, actor_id: int, fields: Mapping[str, Any], reason: str | None
) -> dict[str, Any]:
    """A new channel (MANAGE_CHANNELS); at most 500 per guild."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_CHANNELS)
    kind = ChannelType(fields["type"])
    parent_id = fields.get("parent_id")
    _check_parent(guild_id, parent_id, kind)
    overwrites: list[Overwrite] = list(fields.get("permission_overwrites") or ())
    for overwrite in overwrites:
        _check_overwrite(access, overwrite, None)
    position = fields.get("position")
    if position is None:
        existing = channel_store.list_for_guild(guild_id)
        position = max((c.position for c in existing), default=-1) + 1
    voice = dict(fields) if kind is ChannelType.VOICE else {}
    channel = Channel(
        id=new_id(),
        guild_id=guild_id,
        type=kind,
        name=fields["name"],
        position=position,
        parent_id=parent_id,
        topic=fields.get("topic") if kind is ChannelType.TEXT else None,
        bitrate=voice.get("bitrate") or limits.VOICE_BITRATE_DEFAULT if voice else None,
        user_limit=voice.get("user_limit") or 0 if voice else None,
        overwrites={o.id: o for o in overwrites},
    )
    tx = Transaction()
    guild_store.bump_counts(tx, guild_id, channels=1)
    channel_store.insert(tx, channel)
    diff = changes_between({}, channel.as_json(), _CHANNEL_FIELDS)
    audit = AuditRecord(AuditAction.CHANNEL_CREATE, channel.id, diff, reason)
    outbox.emit(tx, _event(EventName.CHANNEL_CREATE, channel, actor_id, audit), now)
    tx.commit()
    return channel.as_json()


def get_channel(channel_id: int, user_id: int) -> dict[str, Any]:
    access = channel_access(channel_id, user_id, _now())
    _visible(access)
    assert access.channel is not None
    return access.channel.as_json()


@retry_stale
def update_channel(
    channel_id: int, actor_id: int, fields: Mapping[str, Any], reason: str | None
) -> dict[str, Any]:
    """Rename, move or re-describe a channel (MANAGE_CHANNELS in it)."""
    now = _now()
    access, before = _managed_channel(channel_id, actor_id, now)
    changes = {k: v for k, v in fields.items() if k in _CHANNEL_FIELDS and k != "type"}
    if before.type is not ChannelType.TEXT:
        changes.pop("topic", None)
    if before.type is not ChannelType.VOICE:
        changes.pop("bitrate", None)
        changes.pop("user_limit", None)
    if "parent_id" in changes:
        if changes["parent_id"] == before.id:
            raise Invalid("A channel cannot be its own parent.", code="invalid_parent")
        _check_parent(before.guild_id, changes["parent_id"], before.type)
    after = replace(before, **changes)
    diff = changes_between(before.as_json(), after.as_json(), _CHANNEL_FIELDS)
    if not diff:
        return after.as_json()
    tx = Transaction()
    guild_store.check_live(tx, before.guild_id)
    channel_store.replace(tx, after, access.channel_version)
    audit = AuditRecord(AuditAction.CHANNEL_UPDATE, channel_id, diff, reason)
    outbox.emit(tx, _event(EventName.CHANNEL_UPDATE, after, actor_id, audit), now)
    tx.commit()
    return after.as_json()


@retry_stale
def delete_channel(channel_id: int, actor_id: int, reason: str | None) -> dict[str, Any]:
    """Delete a channel (MANAGE_CHANNELS in it); its own partition is purged in the
    background, and a category's children lose their parent (the stream consumer)."""
    now = _now()
    access, channel = _managed_channel(channel_id, actor_id, now)
    tx = Transaction()
    channel_store.remove(tx, channel, access.channel_version)
    guild_store.bump_counts(tx, channel.guild_id, channels=-1)
    purge_store.schedule(
        tx, purge_store.PurgeJob(f"channel-{channel_id}", partitions=[channel_pk(channel_id)])
    )
    diff = changes_between(channel.as_json(), {}, _CHANNEL_FIELDS)
    audit = AuditRecord(AuditAction.CHANNEL_DELETE, channel_id, diff, reason)
    outbox.emit(tx, _event(EventName.CHANNEL_DELETE, channel, actor_id, audit), now)
    tx.commit()
    return channel.as_json()


@retry_stale
def reorder_channels(
    guild_id: int, actor_id: int, positions: Sequence[tuple[int, int]], reason: str | None
) -> None:
    """Move channels to new positions (MANAGE_CHANNELS); at most 50 per request, all or none."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_CHANNELS)
    if len(positions) > limits.MAX_REORDER:
        raise LimitReached(f"Move at most {limits.MAX_REORDER} channels at once.")
    if len({c for c, _ in positions}) != len(positions):
        raise Invalid("Each channel may appear once.", code="duplicate_channel")
    found = {cid: channel_store.get(guild_id, cid) for cid, _ in positions}
    tx = Transaction()  # 50 updates and 50 events: DynamoDB's 100 items, and no room for more
    for channel_id, position in positions:
        current = found[channel_id]
        if current is None:
            raise NotFound(f"Unknown channel {channel_id}.", code="unknown_channel")
        before, version = current
        if before.position == position:
            continue
        after = replace(before, position=position)
        channel_store.replace(tx, after, version)
        diff = changes_between(before.as_json(), after.as_json(), ("position",))
        audit = AuditRecord(AuditAction.CHANNEL_UPDATE, channel_id, diff, reason)
        outbox.emit(tx, _event(EventName.CHANNEL_UPDATE, after, actor_id, audit), now)
    tx.commit()


@retry_stale
def put_overwrite(channel_id: int, actor_id: int, overwrite: Overwrite, reason: str | None) -> None:
    """Set the overwrite of one role or member below the caller (MANAGE_ROLES in the channel, and
    only bits the caller holds there, set or lifted); at most 100 per channel."""
    now = _now()
    access = channel_access(channel_id, actor_id, now)
    _visible(access)
    before = access.channel
    assert before is not None
    previous = before.overwrites.get(overwrite.id)
    _check_overwrite(access, overwrite, previous)
    if previous is None and len(before.overwrites) >= limits.MAX_OVERWRITES:
        raise LimitReached(
            f"A channel has at most {limits.MAX_OVERWRITES} permission overwrites.",
            code="max_overwrites",
        )
    if previous == overwrite:
        return
    after = replace(before, overwrites={**before.overwrites, overwrite.id: overwrite})
    action = (
        AuditAction.CHANNEL_OVERWRITE_CREATE
        if previous is None
        else AuditAction.CHANNEL_OVERWRITE_UPDATE
    )
    _commit_overwrite(
        access, before, after, action, _overwrite_changes(previous, overwrite), reason
    )


@retry_stale
def delete_overwrite(channel_id: int, actor_id: int, target_id: int, reason: str | None) -> None:
    """Remove the overwrite of one role or member below the caller (MANAGE_ROLES in the channel,
    and every bit it sets held by the caller there)."""
    now = _now()
    access = channel_access(channel_id, actor_id, now)
    _visible(access)
    access.require(Permission.MANAGE_ROLES)
    before = access.channel
    assert before is not None
    previous = before.overwrites.get(target_id)
    if previous is None:
        raise NotFound("Unknown overwrite.", code="unknown_overwrite")
    _check_overwrite(access, replace(previous, allow=0, deny=0), previous, known=False)
    after = replace(
        before, overwrites={k: v for k, v in before.overwrites.items() if k != target_id}
    )
    _commit_overwrite(
        access,
        before,
        after,
        AuditAction.CHANNEL_OVERWRITE_DELETE,
        _overwrite_changes(previous, None),
        reason,
    )


def _overwrite_changes(before: Overwrite | None, after: Overwrite | None) -> tuple[Any, ...]:
    def view(o: Overwrite | None) -> dict[str, Any]:
        if o is None:
            return {}
        return {"id": str(o.id), "type": int(o.type), "allow": str(o.allow), "deny": str(o.deny)}

    return changes_between(view(before), view(after), ("id", "type", "allow", "deny"))


def _commit_overwrite(
    access: Access,
    before: Channel,
    after: Channel,
    action: AuditAction,
    diff: tuple[Any, ...],
    reason: str | None,
) -> None:
    tx = Transaction()
    guild_store.check_live(tx, before.guild_id)
    channel_store.replace(tx, after, access.channel_version)
    audit = AuditRecord(action, before.id, diff, reason)
    outbox.emit(tx, _event(EventName.CHANNEL_UPDATE, after, access.user_id, audit), access.now)
    tx.commit()
    if after.type is ChannelType.VOICE:  # an overwrite may take CONNECT away from some in it
        voice.enforce(after.guild_id, access.user_id, after.id)


def orphan_children(guild_id: int, category_id: int) -> int:
    """A deleted category's children move to no parent (run by the stream consumer, at most
    500 channels, each its own small transaction with its CHANNEL_UPDATE); how many moved."""
    moved = 0
    for child in channel_store.list_for_guild(guild_id):
        if child.parent_id != category_id:
            continue
        found = channel_store.get(guild_id, child.id)
        if found is None or found[0].parent_id != category_id:
            continue
        after = replace(found[0], parent_id=None)
        tx = Transaction()
        guild_store.check_live(tx, guild_id)
        channel_store.replace(tx, after, found[1])
        outbox.emit(tx, _event(EventName.CHANNEL_UPDATE, after, None, None), _now())
        tx.commit()
        moved += 1
    return moved
