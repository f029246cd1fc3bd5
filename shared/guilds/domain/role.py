"""Roles: named permission sets with a position in the guild's hierarchy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission

__all__ = ["EVERYONE_NAME", "Role"]

EVERYONE_NAME = "@everyone"


@dataclass(frozen=True)
class Role:
    """A role. ``@everyone``'s id is the guild's id, and its position is always 0."""

    id: int
    guild_id: int
    name: str
    permissions: Permission
    position: int
    color: int = 0
    hoist: bool = False
    mentionable: bool = False

    def __post_init__(self) -> None:
        if not 1 <= len(self.name) <= limits.ROLE_NAME_MAX:
            raise Invalid("A role name has 1 to 100 characters.", code="invalid_name")
        if not 0 <= self.color <= limits.ROLE_COLOR_MAX:
            raise Invalid("A role color is an RGB integer.", code="invalid_color")
        if self.position < 0 or (self.is_everyone and self.position != 0):
            raise Invalid("Invalid role position.", code="invalid_position")

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild_id

    def as_json(self) -> dict[str, Any]:
        """The role object of the REST API and of GUILD_ROLE_* events."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "hoist": self.hoist,
            "position": self.position,
            "permissions": str(int(self.permissions)),
            "managed": False,
            "mentionable": self.mentionable,
        }
