"""Invite commands: create, look up, join.

A join is one transaction: count a use of the invite (only if it is not expired and not used
up), check the user is not banned, add the member, count them on the guild, and emit
GUILD_MEMBER_ADD (to the guild) and GUILD_CREATE (to the new member). DynamoDB applies it
atomically, so of two joins racing for an invite's last use exactly one succeeds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.errors import Invalid, ParleyError
from shared.guilds.access import channel_access
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.channel import ChannelType
from shared.guilds.domain.invite import Invite, is_code, new_invite_code
from shared.guilds.domain.permissions import Permission
from shared.guilds.guilds import guild_create_for, joining_member, snapshot_for
from shared.guilds.storage import bans as ban_store
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import invites as invite_store
from shared.guilds.storage import members as member_store
from shared.outbox.domain.events import (
    AuditAction,
    AuditRecord,
    EventName,
    GatewayEvent,
    changes_between,
)
from shared.outbox.storage import outbox
from shared.presence import presence
from shared.presence.domain.presence import presence_event
from shared.table.transaction import Transaction
from shared.voice.states import guild_voice_states

__all__ = ["create_invite", "get_invite", "join"]

#: The members whose statuses a joiner's GUILD_CREATE carries (as many as IDENTIFY's does).
MEMBERS_IN_SNAPSHOT = 1000


def _now() -> datetime:
    return datetime.now(UTC)


class _AlreadyMember(ParleyError):
    """Internal: the join found the user already in the guild (answered with the guild)."""

    code = "already_member"


def create_invite(
    channel_id: int,
    actor_id: int,
    *,
    max_age: int = limits.INVITE_MAX_AGE_DEFAULT,
    max_uses: int = 0,
    reason: str | None = None,
) -> dict[str, Any]:
    """A new invite to a channel's guild (CREATE_INSTANT_INVITE in the channel)."""
    now = _now()
    access = channel_access(channel_id, actor_id, now)
    access.require(Permission.VIEW_CHANNEL | Permission.CREATE_INSTANT_INVITE)
    channel = access.channel
    assert channel is not None
    if channel.type is ChannelType.CATEGORY:
        raise Invalid("An invite leads to a text or voice channel.", code="invalid_channel_type")
    invite = Invite(
        code=new_invite_code(),
        guild_id=access.guild.id,
        channel_id=channel_id,
        inviter_id=actor_id,
        created_at=now,
        max_age=max_age,
        max_uses=max_uses,
    )
    view = invite.as_json(_guild_view(access.guild.as_json()), _channel_view(channel.as_json()))
    tx = Transaction()
    guild_store.check_live(tx, access.guild.id)
    invite_store.insert(tx, invite)
    diff = changes_between({}, view, ("code", "channel_id", "max_age", "max_uses"))
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.INVITE_CREATE,
            access.guild.id,
            {**view, "guild_id": str(access.guild.id), "channel_id": str(channel_id)},
            actor_id=actor_id,
            channel_id=channel_id,
            audit=AuditRecord(AuditAction.INVITE_CREATE, None, diff, reason),
        ),
        now,
    )
    tx.commit()
    return view


def _guild_view(guild: dict[str, Any]) -> dict[str, Any]:
    return {k: guild[k] for k in ("id", "name", "icon", "description", "member_count")}


def _channel_view(channel: dict[str, Any]) -> dict[str, Any]:
    return {k: channel[k] for k in ("id", "name", "type")}


def _usable(code: str, now: datetime) -> Invite:
    invite = invite_store.get(code) if is_code(code) else None
    if invite is None or not invite.usable(now):
        raise invite_store.unknown_invite()
    return invite


def get_invite(code: str) -> dict[str, Any]:
    """What an invite leads to (any signed-in user); 404 once expired or used up."""
    invite = _usable(code, _now())
    guild = guild_store.get(invite.guild_id)
    found = channel_store.get(invite.guild_id, invite.channel_id)
    if guild is None or found is None:
        raise invite_store.unknown_invite()
    return invite.as_json(_guild_view(guild.as_json()), _channel_view(found[0].as_json()))


def join(code: str, user_id: int) -> dict[str, Any]:
    """Join the invite's guild; the guild (roles and channels) once a member. A banned user
    gets 403; an expired or used-up invite 404; a member joining again uses no use."""
    now = _now()
    invite = _usable(code, now)
    guild_id = invite.guild_id
    if member_store.get(guild_id, user_id) is not None:
        return snapshot_for(guild_id, user_id)
    if ban_store.get(guild_id, user_id) is not None:
        raise ban_store.banned()
    # As the newcomer sees it: the channels @everyone may view (not the guild's private ones),
    # who is online (GUILD_CREATE's presences: without them everyone already there would look
    # offline to them until their status next changed) and who is in which voice channel.
    full = snapshot_for(guild_id, user_id, joining=True)
    existing = member_store.page(guild_id, after=0, limit=MEMBERS_IN_SNAPSHOT)
    full["presences"] = presence.presences_of(m.user_id for m in existing)
    full["voice_states"] = guild_voice_states(guild_id, {int(c["id"]) for c in full["channels"]})
    member = joining_member(guild_id, user_id, now)
    tx = Transaction()
    ban_store.check_not_banned(tx, guild_id, user_id)
    invite_store.use(tx, invite.code, now)
    member_store.insert(tx, member, on_exists=_AlreadyMember("Already a member."))
    guild_store.bump_counts(tx, guild_id, members=1)
    outbox.emit(
        tx,
        GatewayEvent(
            EventName.GUILD_MEMBER_ADD,
            guild_id,
            {"guild_id": str(guild_id), **member.as_json()},
            actor_id=user_id,
        ),
        now,
    )
    # Members learn statuses from GUILD_CREATE and PRESENCE_UPDATE: one who joins while online
    # would stay offline to them until their status next changed.
    status = presence.visible_statuses([user_id]).get(user_id)
    joined_presence = presence_event(user_id, status, [guild_id]) if status else None
    if joined_presence is not None:
        outbox.emit(tx, joined_presence, now)
    full["member_count"] = int(full["member_count"]) + 1
    outbox.emit(tx, guild_create_for(guild_id, full, user_id), now)
    try:
        tx.commit()
    except _AlreadyMember:
        return snapshot_for(guild_id, user_id)
    return full
