"""Who may do what: load a member's permission context and check it.

Every guild and channel route starts here, and every check goes through
:func:`shared.guilds.domain.permissions.compute_permissions` (messages and voice will reuse
:func:`channel_access`). Loading costs one BatchGetItem (guild, member, ``@everyone``, the
channel) and, when the member has roles, a second one for them; a route naming only a channel
first reads the channel's guild reference (cached per container).

A caller who is not a member gets 404 (the guild's existence is not revealed); a member without
the permission gets 403.

The message routes also serve DMs: :func:`message_access` answers a :class:`DmAccess` for a DM
or group DM (its participants of the moment only; anyone else gets the same 404 as for a guild
channel they are not a member of), and an :class:`Access` for a guild channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.dms.domain.dm import DM_PERMISSIONS, DmChannel
from shared.dms.domain.group import GroupDm
from shared.dms.storage import dms as dm_store
from shared.errors import Forbidden, Invalid
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.guild import Guild
from shared.guilds.domain.member import Member
from shared.guilds.domain.permissions import (
    Overwrite,
    Permission,
    can_manage_role,
    compute_permissions,
    highest_position,
    outranks,
)
from shared.guilds.domain.role import Role
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.guilds.storage import roles as role_store
from shared.guilds.storage.context import load_context

__all__ = [
    "Access",
    "DmAccess",
    "Rank",
    "channel_access",
    "guild_access",
    "holders",
    "message_access",
    "missing",
    "rank_of",
    "role_hierarchy",
]


def role_hierarchy() -> Forbidden:
    """The 403 of acting on a role, or a member, at or above the caller's highest role."""
    return Forbidden("You can only manage roles below your highest role.", code="role_hierarchy")


def missing(permission: Permission) -> Forbidden:
    """The 403 of a member who lacks ``permission``."""
    names = "|".join(p.name or "" for p in permission)
    return Forbidden(f"Missing permission: {names}.", code="missing_permissions")


@dataclass(frozen=True)
class Access:
    """A member's view of a guild (and of one channel): what they may do there."""

    guild: Guild
    member: Member
    member_version: int
    everyone: Role
    roles: Mapping[int, Role]
    now: datetime
    channel: Channel | None = None
    channel_version: int = 0

    @property
    def user_id(self) -> int:
        return self.member.user_id

    @property
    def is_owner(self) -> bool:
        return self.guild.owner_id == self.member.user_id

    @property
    def highest(self) -> int:
        """The position of the member's highest role (0: only ``@everyone``)."""
        return highest_position(r.position for r in self.roles.values())

    def permissions_in(self, channel: Channel | None) -> Permission:
        """The member's permissions in the guild (None) or in a channel."""
        return compute_permissions(
            guild_id=self.guild.id,
            owner_id=self.guild.owner_id,
            user_id=self.member.user_id,
            everyone=self.everyone.permissions,
            roles={r.id: r.permissions for r in self.roles.values()},
            overwrites=None if channel is None else channel.overwrites,
            timed_out=self.member.timed_out(self.now),
        )

    @property
    def permissions(self) -> Permission:
        """Permissions where the route acts: in its channel, or guild-wide."""
        return self.permissions_in(self.channel)

    def require(self, permission: Permission) -> None:
        """403 unless the member has every bit of ``permission`` here."""
        if self.permissions & permission != permission:
            raise missing(permission)

    def outranks(self, target: Rank) -> bool:
        """Whether the caller stands strictly above ``target`` (the owner above all)."""
        return outranks(
            actor_is_owner=self.is_owner,
            actor_highest=self.highest,
            target_is_owner=target.is_owner,
            target_highest=target.highest,
        )

    def can_manage(self, role: Role) -> bool:
        """Nobody manages a role at or above their highest one."""
        return can_manage_role(
            actor_is_owner=self.is_owner, actor_highest=self.highest, role_position=role.position
        )

    def can_grant(self, permissions: Permission, channel: Channel | None = None) -> bool:
        """Nobody but the owner and administrators gives permissions they do not have."""
        mine = self.permissions_in(channel)
        return bool(mine & Permission.ADMINISTRATOR) or permissions & ~mine == 0

    def require_grant(self, permissions: Permission, channel: Channel | None = None) -> None:
        """403 unless the caller holds every bit of ``permissions`` (see :meth:`can_grant`):
        creating, editing, assigning or removing a role, and setting or lifting an overwrite."""
        if not self.can_grant(permissions, channel):
            raise Forbidden(
                "You cannot give or take permissions you do not have.",
                code="missing_permissions",
            )

    def require_manage(self, role: Role) -> None:
        """403 when the role is at or above the caller's highest (``@everyone`` is below all)."""
        if not role.is_everyone and not self.can_manage(role):
            raise role_hierarchy()

    def require_owner(self) -> None:
        if not self.is_owner:
            raise Forbidden("Only the guild's owner may do this.", code="owner_only")

    @property
    def guild_id(self) -> int | None:
        return self.guild.id

    @property
    def channel_id(self) -> int:
        """The route's channel (only for accesses made by :func:`channel_access`)."""
        assert self.channel is not None
        return self.channel.id

    @property
    def dm(self) -> DmChannel | GroupDm | None:
        return None

    def require_pin(self) -> None:
        """Pinning in a guild channel takes MANAGE_MESSAGES."""
        self.require(Permission.VIEW_CHANNEL | Permission.MANAGE_MESSAGES)


@dataclass(frozen=True)
class DmAccess:
    """A participant's view of a DM or group DM: the rights of a default member, no bitfield
    to compute."""

    dm: DmChannel | GroupDm
    user_id: int

    @property
    def guild_id(self) -> int | None:
        return None

    @property
    def channel_id(self) -> int:
        return self.dm.id

    @property
    def permissions(self) -> Permission:
        return DM_PERMISSIONS

    def require(self, permission: Permission) -> None:
        if DM_PERMISSIONS & permission != permission:
            raise missing(permission)

    def require_pin(self) -> None:
        """Either participant may pin in a DM (as on Discord)."""


def message_access(channel_id: int, user_id: int, now: datetime) -> Access | DmAccess:
    """The caller's access to a guild text channel or a DM; 404 when it is gone or not theirs,
    400 when it is a guild channel of another kind (voice, category) they may see."""
    guild_id = channel_store.guild_of(channel_id)
    if guild_id is not None:
        access = _access(guild_id, user_id, now, channel_id=channel_id)
        assert access.channel is not None
        if access.channel.type is not ChannelType.TEXT:
            # Its kind is told only to those who may see it (the others get the usual 403).
            access.require(Permission.VIEW_CHANNEL)
            raise Invalid("Cannot send messages in a non-text channel.", code="non_text_channel")
        return access
    dm = dm_store.get(channel_id)
    if dm is None or not dm.has(user_id):
        raise channel_store.unknown_channel()
    return DmAccess(dm, user_id)


def guild_access(guild_id: int, user_id: int, now: datetime) -> Access:
    """The caller's access to a guild; 404 when the guild is gone or they are not a member."""
    return _access(guild_id, user_id, now, channel_id=None)


def channel_access(channel_id: int, user_id: int, now: datetime) -> Access:
    """The caller's access to a guild channel; 404 when it is gone or they are not a member."""
    guild_id = channel_store.guild_of(channel_id)
    if guild_id is None:
        raise channel_store.unknown_channel()
    return _access(guild_id, user_id, now, channel_id=channel_id)


def _access(guild_id: int, user_id: int, now: datetime, *, channel_id: int | None) -> Access:
    loaded = load_context(guild_id, user_id, channel_id)
    not_found = (
        guild_store.unknown_guild() if channel_id is None else channel_store.unknown_channel()
    )
    if loaded.guild is None or loaded.member is None or loaded.everyone is None:
        raise not_found
    if channel_id is not None and loaded.channel is None:
        raise channel_store.unknown_channel()
    member, member_version = loaded.member
    roles = role_store.get_many(guild_id, member.roles) if member.roles else {}
    return Access(
        guild=loaded.guild,
        member=member,
        member_version=member_version,
        everyone=loaded.everyone,
        roles=roles,
        now=now,
        channel=None if loaded.channel is None else loaded.channel[0],
        channel_version=0 if loaded.channel is None else loaded.channel[1],
    )


def holders(
    guild_id: int,
    overwrites: Mapping[int, Overwrite] | None,
    user_ids: Iterable[int],
    permission: Permission,
    now: datetime,
) -> set[int]:
    """Those of ``user_ids`` who are members holding every bit of ``permission`` in a channel
    with ``overwrites`` (None: guild-wide): one read per kind (the guild, its roles, the
    members), then pure checks. Who may receive a channel's event, who may stay in voice."""
    wanted = set(user_ids)
    guild = guild_store.get(guild_id)
    if guild is None or not wanted:
        return set()
    all_roles = {r.id: r.permissions for r in role_store.list_for_guild(guild_id)}
    everyone = all_roles.get(guild_id, 0)
    return {
        user_id
        for user_id, member in member_store.get_many(guild_id, wanted).items()
        if compute_permissions(
            guild_id=guild_id,
            owner_id=guild.owner_id,
            user_id=user_id,
            everyone=everyone,
            roles={r: all_roles[r] for r in member.roles if r in all_roles},
            overwrites=overwrites,
            timed_out=member.timed_out(now),
        )
        & permission
        == permission
    }


@dataclass(frozen=True)
class Rank:
    """Where another member stands: for hierarchy checks against the caller."""

    member: Member
    version: int
    is_owner: bool
    highest: int
    is_admin: bool


def rank_of(access: Access, member: Member, version: int) -> Rank:
    """A member's rank in the caller's guild (their roles read in one BatchGetItem)."""
    roles = role_store.get_many(access.guild.id, member.roles) if member.roles else {}
    base = compute_permissions(
        guild_id=access.guild.id,
        owner_id=access.guild.owner_id,
        user_id=member.user_id,
        everyone=access.everyone.permissions,
        roles={r.id: r.permissions for r in roles.values()},
    )
    return Rank(
        member=member,
        version=version,
        is_owner=member.user_id == access.guild.owner_id,
        highest=highest_position(r.position for r in roles.values()),
        is_admin=bool(base & Permission.ADMINISTRATOR) or member.user_id == access.guild.owner_id,
    )
