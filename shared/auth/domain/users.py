"""The user as the domain sees it, and the rules for usernames and email addresses. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import Invalid

__all__ = ["User", "fold", "normalise_email", "validate_global_name", "validate_username"]

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


#: Unicode categories a display name may not hold: controls (Cc) and format characters (Cf),
#: which are the bidi overrides and isolates (U+202A..E, U+2066..9), the zero-width characters
#: (U+200B..D, U+2060, U+FEFF) and their kind: invisible, or rearranging the text around them.
_REFUSED_CATEGORIES = {"Cc", "Cf"}


def validate_global_name(global_name: str) -> str:
    """A display name, trimmed; :class:`Invalid` when empty, too long, or carrying an invisible
    or direction-changing character (a name must look like what it is)."""
    cleaned = global_name.strip()
    problem: str | None = None
    if not 1 <= len(cleaned) <= MAX_GLOBAL_NAME:
        problem = f"1 to {MAX_GLOBAL_NAME} characters."
    elif any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in cleaned):
        problem = "No invisible, control or text-direction characters."
    if problem is not None:
        raise Invalid(
            "The display name is not valid.",
            code="invalid_global_name",
            errors={"global_name": problem},
        )
    return cleaned


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
