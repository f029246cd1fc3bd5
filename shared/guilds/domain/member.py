"""Guild membership: who belongs, their nickname, roles and timeout."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits

__all__ = ["Member", "fold_name"]


def fold_name(name: str) -> str:
    """A name as the member search compares it: compatibility-normalised and case-folded, so
    that "ÅSA", "åsa" and "Åsa" are one name."""
    return unicodedata.normalize("NFKC", name).casefold()


@dataclass(frozen=True)
class Member:
    """A user's membership of a guild. ``roles`` never holds ``@everyone`` (implied)."""

    guild_id: int
    user_id: int
    joined_at: datetime
    nick: str | None = None
    roles: frozenset[int] = field(default_factory=frozenset)
    communication_disabled_until: datetime | None = None
    #: The user's username and display name as the guild's name index holds them (kept in step
    #: with the user's profile), so that the member is found by every name it shows.
    username: str | None = None
    global_name: str | None = None

    def __post_init__(self) -> None:
        if self.nick is not None and not 1 <= len(self.nick) <= limits.NICK_MAX:
            raise Invalid("A nickname has 1 to 32 characters.", code="invalid_nick")
        if self.guild_id in self.roles:
            raise Invalid("@everyone is implied, not assigned.", code="invalid_role")

    def timed_out(self, now: datetime) -> bool:
        """Whether the member is in a timeout at ``now`` (no sending, reacting or speaking)."""
        until = self.communication_disabled_until
        return until is not None and until > now

    def index_names(self) -> frozenset[str]:
        """The distinct folded names the member is found under: username, display name, nick."""
        names = (self.username, self.global_name, self.nick)
        return frozenset(fold_name(n) for n in names if n)

    def as_json(self, role_ids: frozenset[int] | None = None) -> dict[str, Any]:
        """The member object; ``role_ids`` (the guild's roles) hides deleted roles."""
        roles = self.roles if role_ids is None else self.roles & role_ids
        until = self.communication_disabled_until
        return {
            "user": {"id": str(self.user_id)},
            "nick": self.nick,
            "roles": sorted(str(r) for r in roles),
            "joined_at": self.joined_at.isoformat(),
            "communication_disabled_until": None if until is None else until.isoformat(),
        }
