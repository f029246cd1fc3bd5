"""Gateway events a change emits, and the audit record it may carry.

A command that changes a guild returns the events its change must produce; the storage layer
writes each as one small outbox item in the same transaction as the change (see
``docs/data-model.md``, "Events"), so a change and its events commit or fail together and the
fan-out turns each stream record into exactly one gateway event.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuditAction", "AuditRecord", "Change", "EventName", "GatewayEvent", "changes_between"]


class EventName(enum.StrEnum):
    """Gateway event names (``t``): those of CONTRACT.md and Parley's own (``MESSAGE_ACK``).

    Each is declared once in ``shared/gateway/domain/registry.py``, with everything the gateway does
    differently for it; a name without a declaration is refused when that module is imported.
    """

    READY = "READY"
    RESUMED = "RESUMED"
    GUILD_CREATE = "GUILD_CREATE"
    GUILD_UPDATE = "GUILD_UPDATE"
    GUILD_DELETE = "GUILD_DELETE"
    CHANNEL_CREATE = "CHANNEL_CREATE"
    CHANNEL_UPDATE = "CHANNEL_UPDATE"
    CHANNEL_DELETE = "CHANNEL_DELETE"
    CHANNEL_RECIPIENT_ADD = "CHANNEL_RECIPIENT_ADD"
    CHANNEL_RECIPIENT_REMOVE = "CHANNEL_RECIPIENT_REMOVE"
    GUILD_MEMBER_ADD = "GUILD_MEMBER_ADD"
    GUILD_MEMBER_UPDATE = "GUILD_MEMBER_UPDATE"
    GUILD_MEMBER_REMOVE = "GUILD_MEMBER_REMOVE"
    GUILD_ROLE_CREATE = "GUILD_ROLE_CREATE"
    GUILD_ROLE_UPDATE = "GUILD_ROLE_UPDATE"
    GUILD_ROLE_DELETE = "GUILD_ROLE_DELETE"
    GUILD_BAN_ADD = "GUILD_BAN_ADD"
    GUILD_BAN_REMOVE = "GUILD_BAN_REMOVE"
    USER_UPDATE = "USER_UPDATE"
    MESSAGE_CREATE = "MESSAGE_CREATE"
    MESSAGE_UPDATE = "MESSAGE_UPDATE"
    MESSAGE_DELETE = "MESSAGE_DELETE"
    MESSAGE_REACTION_ADD = "MESSAGE_REACTION_ADD"
    MESSAGE_REACTION_REMOVE = "MESSAGE_REACTION_REMOVE"
    CHANNEL_PINS_UPDATE = "CHANNEL_PINS_UPDATE"
    TYPING_START = "TYPING_START"
    PRESENCE_UPDATE = "PRESENCE_UPDATE"
    VOICE_STATE_UPDATE = "VOICE_STATE_UPDATE"
    VOICE_SERVER_UPDATE = "VOICE_SERVER_UPDATE"
    INVITE_CREATE = "INVITE_CREATE"
    MESSAGE_ACK = "MESSAGE_ACK"
    USER_GUILD_SETTINGS_UPDATE = "USER_GUILD_SETTINGS_UPDATE"
    THREAD_CREATE = "THREAD_CREATE"
    THREAD_UPDATE = "THREAD_UPDATE"
    THREAD_DELETE = "THREAD_DELETE"
    THREAD_LIST_SYNC = "THREAD_LIST_SYNC"
    THREAD_MEMBER_UPDATE = "THREAD_MEMBER_UPDATE"
    THREAD_MEMBERS_UPDATE = "THREAD_MEMBERS_UPDATE"
    GUILD_EMOJIS_UPDATE = "GUILD_EMOJIS_UPDATE"


class AuditAction(enum.IntEnum):
    """Audit log action types, with Discord's numbers."""

    GUILD_UPDATE = 1
    CHANNEL_CREATE = 10
    CHANNEL_UPDATE = 11
    CHANNEL_DELETE = 12
    CHANNEL_OVERWRITE_CREATE = 13
    CHANNEL_OVERWRITE_UPDATE = 14
    CHANNEL_OVERWRITE_DELETE = 15
    MEMBER_KICK = 20
    MEMBER_BAN_ADD = 22
    MEMBER_BAN_REMOVE = 23
    MEMBER_UPDATE = 24
    MEMBER_ROLE_UPDATE = 25
    ROLE_CREATE = 30
    ROLE_UPDATE = 31
    ROLE_DELETE = 32
    INVITE_CREATE = 40
    EMOJI_CREATE = 60
    EMOJI_UPDATE = 61
    EMOJI_DELETE = 62


@dataclass(frozen=True, slots=True)
class Change:
    """One field's value before and after (None: absent on that side)."""

    key: str
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key}
        if self.old is not None:
            out["old_value"] = self.old
        if self.new is not None:
            out["new_value"] = self.new
        return out


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """Who did what to which target, what changed, and why."""

    action: AuditAction
    target_id: int | None
    changes: tuple[Change, ...] = ()
    reason: str | None = None

    @classmethod
    def of_change(
        cls,
        action: AuditAction,
        target_id: int | None,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        keys: Iterable[str],
        reason: str | None,
    ) -> AuditRecord:
        """The record of a change from ``before`` to ``after`` (their JSON views), listing the
        ``keys`` whose values differ: ``{}`` before a creation, after a deletion."""
        return cls(action, target_id, changes_between(before, after, keys), reason)


@dataclass(frozen=True)
class GatewayEvent:
    """One gateway event: its name, its payload ``d``, and whom it concerns.

    ``guild_id`` scopes it to the guild's members; ``channel_id`` (channel events) lets the
    fan-out send it only to those who may view the channel; ``user_id``, when set, sends it to
    that one user only (the joining user's ``GUILD_CREATE``, the removed user's
    ``GUILD_DELETE``, or an event of no guild such as ``USER_UPDATE``). ``actor_id`` is who
    caused it; ``audit`` what the audit log records. ``guild_ids`` (with ``user_id``) makes a
    user-level event that goes instead to the sessions of each of those guilds, once per
    session, ``guild_id`` set in its ``d`` to one guild the session shares (PRESENCE_UPDATE).
    ``dm_channel_id`` marks an event of a DM or group DM
    channel: it reaches the DM's participants (or ``user_id`` alone, when set).
    """

    name: EventName
    guild_id: int | None
    data: Mapping[str, Any]
    actor_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    audit: AuditRecord | None = field(default=None)
    guild_ids: tuple[int, ...] = ()
    dm_channel_id: int | None = None

    def __post_init__(self) -> None:
        if self.guild_id is None and self.user_id is None and self.dm_channel_id is None:
            raise ValueError("an event concerns a guild, a DM or a user")


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], keys: Iterable[str]
) -> tuple[Change, ...]:
    """The audit changes of ``keys`` whose values differ between two JSON views."""
    return tuple(
        Change(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    )
