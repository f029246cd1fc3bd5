"""Group DMs (channel type 3): a named channel of 2 to 10 users, outside any guild.

As on Discord: the creator owns it; any participant renames it or adds someone they may DM;
only the owner removes someone; anyone may leave, and an owner who leaves hands the group to
another participant. The last one out leaves an empty channel nobody sees. Pure rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shared.errors import Forbidden, Invalid
from shared.guilds.domain.channel import ChannelType

__all__ = ["MAX_GROUP_NAME", "MAX_PARTICIPANTS", "GroupDm", "check_recipients", "group_name"]

#: Participants of a group DM, the caller included (Discord's limit).
MAX_PARTICIPANTS = 10
#: Characters of a group DM's name.
MAX_GROUP_NAME = 100


def check_recipients(user_id: int, recipient_ids: Sequence[int]) -> None:
    """Those a group is created with: others than the caller, each once, 1 to 9 of them."""
    if user_id in recipient_ids:
        raise Invalid(
            "You cannot add yourself to a group DM.",
            code="invalid_recipient",
            errors={"recipients": "holds the caller"},
        )
    if len(set(recipient_ids)) != len(recipient_ids):
        raise Invalid(
            "Each recipient is named once.",
            code="invalid_recipient",
            errors={"recipients": "holds a duplicate"},
        )
    if not 1 <= len(recipient_ids) <= MAX_PARTICIPANTS - 1:
        raise Invalid(
            f"A group DM has 2 to {MAX_PARTICIPANTS} participants.",
            code="max_recipients",
            errors={"recipients": f"holds 1 to {MAX_PARTICIPANTS - 1} users"},
        )


def group_name(name: str | None) -> str | None:
    """A group's name as stored: trimmed, None when blank, at most :data:`MAX_GROUP_NAME`."""
    trimmed = (name or "").strip()
    if len(trimmed) > MAX_GROUP_NAME:
        raise Invalid(
            f"A group DM's name has at most {MAX_GROUP_NAME} characters.",
            code="invalid_name",
            errors={"name": f"longer than {MAX_GROUP_NAME}"},
        )
    return trimmed or None


def full() -> Invalid:
    return Invalid(
        f"A group DM has at most {MAX_PARTICIPANTS} participants.", code="max_recipients"
    )


@dataclass(frozen=True, slots=True)
class GroupDm:
    """A group DM: its participants (``users``, in id order), owner and name.

    ``version`` is the stored item's, for the conditional write of a change."""

    id: int
    owner_id: int | None
    users: tuple[int, ...]
    name: str | None = None
    version: int = 0

    def __post_init__(self) -> None:
        if list(self.users) != sorted(set(self.users)) or len(self.users) > MAX_PARTICIPANTS:
            raise ValueError("a group's users are distinct ids in order, at most ten")
        if (self.owner_id is None) != (not self.users) or (
            self.owner_id is not None and self.owner_id not in self.users
        ):
            raise ValueError("a group's owner is one of its users (none when it is empty)")

    @classmethod
    def create(
        cls, channel_id: int, owner_id: int, recipients: Sequence[int], name: str | None
    ) -> GroupDm:
        check_recipients(owner_id, recipients)
        return cls(channel_id, owner_id, tuple(sorted({owner_id, *recipients})), group_name(name))

    def has(self, user_id: int) -> bool:
        return user_id in self.users

    def others(self, viewer: int) -> list[int]:
        return [u for u in self.users if u != viewer]

    def renamed(self, name: str | None) -> GroupDm:
        return replace(self, name=group_name(name))

    def with_user(self, user_id: int) -> GroupDm:
        """The group with ``user_id`` added; 400 past :data:`MAX_PARTICIPANTS`."""
        if self.has(user_id):
            return self
        if len(self.users) >= MAX_PARTICIPANTS:
            raise full()
        return replace(self, users=tuple(sorted((*self.users, user_id))))

    def without(self, user_id: int) -> GroupDm:
        """The group once ``user_id`` is out: an owner's group passes to the participant who
        has been in it longest by id order (the lowest id left), an emptied group to nobody."""
        users = tuple(u for u in self.users if u != user_id)
        owner = self.owner_id if self.owner_id != user_id else (users[0] if users else None)
        return replace(self, users=users, owner_id=owner)

    def require_owner(self, user_id: int) -> None:
        if self.owner_id != user_id:
            raise Forbidden("Only the group's owner may do this.", code="owner_only")

    def as_json(
        self,
        viewer: int,
        *,
        recipients: Iterable[Mapping[str, Any]],
        last_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The channel object as ``viewer`` sees it: ``recipients`` lists the others."""
        return {
            "id": str(self.id),
            "type": int(ChannelType.GROUP_DM),
            "owner_id": None if self.owner_id is None else str(self.owner_id),
            "name": self.name,
            "recipients": [dict(r) for r in recipients],
            "last_message_id": None if last_message_id is None else str(last_message_id),
        }
