"""Invites: codes that let a user join a guild, with optional expiry and maximum uses."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits

__all__ = ["CODE_LENGTH", "Invite", "is_code", "new_invite_code"]

_ALPHABET = string.ascii_letters + string.digits
#: 62^10 ≈ 8e17 codes: guessing one is hopeless, and a collision is caught on write.
CODE_LENGTH = 10


def new_invite_code() -> str:
    """A fresh random invite code."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    """Whether a string can be an invite code (checked before any lookup)."""
    return 1 <= len(text) <= 32 and all(c in _ALPHABET for c in text)


@dataclass(frozen=True)
class Invite:
    """An invite to a guild's channel. ``max_age`` 0: never expires; ``max_uses`` 0: unlimited."""

    code: str
    guild_id: int
    channel_id: int
    inviter_id: int
    created_at: datetime
    max_age: int = limits.INVITE_MAX_AGE_DEFAULT
    max_uses: int = 0
    uses: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.max_age <= limits.INVITE_MAX_AGE_MAX:
            raise Invalid("max_age is 0 to 604800 seconds.", code="invalid_max_age")
        if not 0 <= self.max_uses <= limits.INVITE_MAX_USES_MAX:
            raise Invalid("max_uses is 0 to 100.", code="invalid_max_uses")

    @property
    def expires_at(self) -> datetime | None:
        return self.created_at + timedelta(seconds=self.max_age) if self.max_age else None

    def usable(self, now: datetime) -> bool:
        """Not expired, and not used up."""
        expires = self.expires_at
        if expires is not None and expires <= now:
            return False
        return self.max_uses == 0 or self.uses < self.max_uses

    def as_json(self, guild: dict[str, Any], channel: dict[str, Any]) -> dict[str, Any]:
        expires = self.expires_at
        return {
            "code": self.code,
            "guild": guild,
            "channel": channel,
            "inviter": {"id": str(self.inviter_id)},
            "uses": self.uses,
            "max_uses": self.max_uses,
            "max_age": self.max_age,
            "created_at": self.created_at.isoformat(),
            "expires_at": None if expires is None else expires.isoformat(),
        }
