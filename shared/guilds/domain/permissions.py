"""Permissions: Discord's bitfield, the one function that computes a member's permissions, and
the role hierarchy.

Every route that checks a permission (guilds, channels, invites, and later messages and voice)
calls :func:`compute_permissions`; nothing else combines roles and overwrites. The function
follows Discord's documented algorithm ("Permission Hierarchy"):

1. the guild owner has every permission;
2. base = ``@everyone``'s permissions | every role of the member; ADMINISTRATOR in the base
   means every permission (overwrites cannot take it away);
3. in a channel: the ``@everyone`` overwrite (deny, then allow), then the member's role
   overwrites (all denies combined, then all allows combined), then the member's own overwrite
   (deny, then allow);
4. implicit rules: without VIEW_CHANNEL nothing in the channel is allowed, and without
   SEND_MESSAGES the permissions that only make sense while sending are dropped;
5. a timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY (owners and
   administrators cannot be timed out, so step 1 and 2 come first).

Integers are combined as plain ``int`` (IntFlag arithmetic is ten times slower) and wrapped once
at the end; the bench (`bench/guilds.py`) holds that to a figure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "ALL",
    "DEFAULT_EVERYONE",
    "NONE",
    "TIMED_OUT_KEEPS",
    "Overwrite",
    "OverwriteType",
    "Permission",
    "can_manage_role",
    "compute_permissions",
    "highest_position",
    "outranks",
    "parse_permissions",
]


class Permission(enum.IntFlag):
    """Discord's permission bits, with Discord's values (sent to clients as decimal strings)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40


NONE = Permission(0)
ALL = Permission((1 << 41) - 1)
_ALL = int(ALL)

#: What ``@everyone`` may do in a new guild: take part, not manage.
DEFAULT_EVERYONE = (
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.STREAM
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.CONNECT
    | Permission.SPEAK
    | Permission.USE_VAD
    | Permission.CHANGE_NICKNAME
)

#: A timed-out member keeps only these (Discord's rule for MODERATE_MEMBERS timeouts).
TIMED_OUT_KEEPS = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY

# Discord's implicit rule: without SEND_MESSAGES, these are meaningless in the channel.
_NEEDS_SEND = int(
    Permission.SEND_TTS_MESSAGES
    | Permission.MENTION_EVERYONE
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
)
_VIEW = int(Permission.VIEW_CHANNEL)
_SEND = int(Permission.SEND_MESSAGES)
_ADMIN = int(Permission.ADMINISTRATOR)
_TIMED_OUT_KEEPS = int(TIMED_OUT_KEEPS)


def parse_permissions(value: int | str) -> Permission:
    """A client's bitfield (decimal string or int) as known bits; unknown bits are dropped,
    as Discord drops them. :class:`ValueError` when it is not a non-negative integer."""
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 20:
            raise ValueError("permissions must be a decimal string of bits")
        value = int(value)
    if value < 0:
        raise ValueError("permissions must not be negative")
    return Permission(value & _ALL)


class OverwriteType(enum.IntEnum):
    """Whom a channel overwrite is for (Discord's numbers)."""

    ROLE = 0
    MEMBER = 1


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel's permission overwrite for one role or one member."""

    id: int
    type: OverwriteType
    allow: int = 0
    deny: int = 0

    def __post_init__(self) -> None:
        for bits in (self.allow, self.deny):
            if bits < 0 or bits > _ALL:
                raise ValueError("overwrite bits out of range")
            if bits & _ADMIN:
                raise ValueError("ADMINISTRATOR cannot be allowed or denied in a channel")


def compute_permissions(
    *,
    guild_id: int,
    owner_id: int,
    user_id: int,
    everyone: int,
    roles: Mapping[int, int] | Iterable[tuple[int, int]],
    overwrites: Mapping[int, Overwrite] | None = None,
    timed_out: bool = False,
) -> Permission:
    """A member's permissions in the guild (``overwrites`` None) or in one channel.

    ``everyone`` is the ``@everyone`` role's bits (its id is the guild id); ``roles`` maps each
    of the member's other roles (those that still exist) to its bits; ``overwrites`` are the
    channel's, by target id. ``timed_out``: the member's timeout has not ended yet.
    """
    if user_id == owner_id:
        return ALL
    role_bits = roles.items() if isinstance(roles, Mapping) else roles
    base = everyone
    role_ids: list[int] = []
    for role_id, bits in role_bits:
        base |= bits
        role_ids.append(role_id)
    if base & _ADMIN:
        return ALL
    permissions = base
    if overwrites is not None:
        everyone_ow = overwrites.get(guild_id)
        if everyone_ow is not None and everyone_ow.type is OverwriteType.ROLE:
            permissions = (permissions & ~everyone_ow.deny) | everyone_ow.allow
        allow = deny = 0
        for role_id in role_ids:
            role_ow = overwrites.get(role_id)
            if role_ow is not None and role_ow.type is OverwriteType.ROLE:
                allow |= role_ow.allow
                deny |= role_ow.deny
        permissions = (permissions & ~deny) | allow
        member_ow = overwrites.get(user_id)
        if member_ow is not None and member_ow.type is OverwriteType.MEMBER:
            permissions = (permissions & ~member_ow.deny) | member_ow.allow
        if not permissions & _VIEW:
            permissions = 0
        elif not permissions & _SEND:
            permissions &= ~_NEEDS_SEND
    if timed_out:
        permissions &= _TIMED_OUT_KEEPS
    return Permission(permissions & _ALL)


def highest_position(positions: Iterable[int]) -> int:
    """The position of a member's highest role; 0 (``@everyone``'s) when they have none."""
    return max(positions, default=0)


def can_manage_role(*, actor_is_owner: bool, actor_highest: int, role_position: int) -> bool:
    """Nobody manages a role at or above their own highest role; the owner manages every role."""
    return actor_is_owner or role_position < actor_highest


def outranks(
    *, actor_is_owner: bool, actor_highest: int, target_is_owner: bool, target_highest: int
) -> bool:
    """Whether the actor may moderate the target (kick, ban, timeout, nickname, roles).

    The owner outranks everyone else; nobody outranks the owner; otherwise the actor's highest
    role must be strictly above the target's.
    """
    if target_is_owner:
        return False
    return actor_is_owner or actor_highest > target_highest
