"""Direct messages: a channel of two users, outside any guild.

A DM has no permission bitfield: its two participants may do there what a guild member with
the default permissions may do in a text channel (and pin, as on Discord); nobody else may do
anything, or learn that it exists. Pure rules; storage and events live in the DM service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import Forbidden, Invalid
from shared.guilds.domain.channel import ChannelType
from shared.guilds.domain.permissions import DEFAULT_EVERYONE, Permission

__all__ = ["DM_PERMISSIONS", "DmChannel", "check_may_message", "check_recipient"]

#: What a participant may do in a DM: a default member's rights, without @everyone (a DM has
#: no one else to mention) and without managing others' messages.
DM_PERMISSIONS = DEFAULT_EVERYONE & ~Permission.MENTION_EVERYONE & ~Permission.MANAGE_MESSAGES


def check_recipient(user_id: int, recipient_id: int) -> None:
    """Nobody opens a DM with themselves."""
    if user_id == recipient_id:
        raise Invalid(
            "You cannot open a DM with yourself.",
            code="invalid_recipient",
            errors={"recipient_id": "is the caller"},
        )


def check_may_message(
    caller_guilds: Iterable[int], recipient_guilds: Iterable[int], recipient_allows: bool
) -> None:
    """Who may reach a user by DM: someone who shares a guild with them, while they allow DMs
    from their guilds' members (there are no friends yet to let anyone else in). Either refusal
    answers the same, so that a stranger does not learn the recipient's setting."""
    if not recipient_allows or set(caller_guilds).isdisjoint(recipient_guilds):
        raise Forbidden("Cannot send messages to this user.", code="cannot_message_user")


@dataclass(frozen=True, slots=True)
class DmChannel:
    """A DM channel and its two participants (``users`` in id order)."""

    id: int
    users: tuple[int, int]

    def __post_init__(self) -> None:
        low, high = self.users
        if low >= high:
            raise ValueError("a DM's users are two different ids, lowest first")

    @classmethod
    def between(cls, channel_id: int, user_a: int, user_b: int) -> DmChannel:
        check_recipient(user_a, user_b)
        low, high = sorted((user_a, user_b))
        return cls(channel_id, (low, high))

    def has(self, user_id: int) -> bool:
        return user_id in self.users

    def other(self, user_id: int) -> int:
        """The participant who is not ``user_id``."""
        low, high = self.users
        return high if user_id == low else low

    def as_json(
        self, viewer: int, *, recipient: Mapping[str, Any], last_message_id: int | None = None
    ) -> dict[str, Any]:
        """The channel object as ``viewer`` sees it: ``recipients`` lists the other user."""
        return {
            "id": str(self.id),
            "type": int(ChannelType.DM),
            "recipients": [dict(recipient)],
            "last_message_id": None if last_message_id is None else str(last_message_id),
        }
