"""The user as the domain sees it, and the rules for usernames and email addresses. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import Invalid

__all__ = ["User", "fold", "normalise_email", "validate_username"]

_USERNAME = re.compile(r"^[A-Za-z0-9_.]{2,32}$")
MAX_GLOBAL_NAME = 32


def fold(text: str) -> str:
    """The case-insensitive form under which usernames and emails are unique."""
    return text.casefold()


def validate_username(username: str) -> str:
    """A username as given (its case is kept); :class:`Invalid` when it breaks the rules."""
    if not _USERNAME.fullmatch(username) or ".." in username:
        raise Invalid(
            "The username is not valid.",
            code="invalid_username",
            errors={"username": "2 to 32 letters, digits, '_' or '.' (no '..')."},
        )
    return username


def normalise_email(email: str) -> str:
    """An email address in its normal form (syntax only: deliverability is not looked up)."""
    # Imported here, by the few requests that read an address: not a cost of every cold start.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(
            "The email address is not valid.", code="invalid_email", errors={"email": str(exc)}
        ) from exc


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    created_at: datetime
    global_name: str | None = None
    email_verified: bool = False
    has_password: bool = field(default=True, compare=False)
    #: Whether members of a guild the user is in may open a DM with them.
    allow_dms_from_guild_members: bool = True

    def public(self) -> dict[str, Any]:
        """What anyone signed in may see of this user."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "created_at": self.created_at.isoformat(),
        }

    def private(self) -> dict[str, Any]:
        """What the user sees of themself."""
        return {
            **self.public(),
            "email": self.email,
            "verified": self.email_verified,
            "allow_dms_from_guild_members": self.allow_dms_from_guild_members,
        }
