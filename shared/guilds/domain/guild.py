"""A guild ("server"): its name, its owner, and how it is shown to clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits

__all__ = ["Guild", "check_guild_name"]


def check_guild_name(name: str) -> str:
    """A guild name without surrounding blanks, within Discord's 2..100 characters."""
    name = name.strip()
    if not limits.GUILD_NAME_MIN <= len(name) <= limits.GUILD_NAME_MAX:
        raise Invalid(
            f"A guild name has {limits.GUILD_NAME_MIN} to {limits.GUILD_NAME_MAX} characters.",
            code="invalid_guild_name",
            errors={"name": "length"},
        )
    return name


@dataclass(frozen=True)
class Guild:
    """A guild as the store keeps it; ``member_count`` is maintained by every join and leave."""

    id: int
    name: str
    owner_id: int
    created_at: datetime
    description: str | None = None
    member_count: int = 0

    def __post_init__(self) -> None:
        check_guild_name(self.name)
        if self.description is not None and len(self.description) > limits.GUILD_DESCRIPTION_MAX:
            raise Invalid("The description is too long.", code="invalid_description")

    def as_json(self) -> dict[str, Any]:
        """The guild object of the REST API and of GUILD_CREATE / GUILD_UPDATE."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": self.description,
            "owner_id": str(self.owner_id),
            "member_count": self.member_count,
            "created_at": self.created_at.isoformat(),
        }
