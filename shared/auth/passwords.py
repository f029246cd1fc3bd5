"""Password policy and hashing (bcrypt).

bcrypt reads at most 72 bytes of its input and silently ignores the rest, so a longer password
would be accepted with any suffix. Parley refuses passwords over 72 UTF-8 bytes instead of
truncating them or pre-hashing them (a pre-hash would tie every stored hash to one more scheme).
The commonest passwords are refused using the 30,000-entry list that ships with zxcvbn.
"""

from __future__ import annotations

import unicodedata
from functools import cache

import bcrypt

from shared.errors import Invalid

__all__ = [
    "MAX_PASSWORD_BYTES",
    "MIN_PASSWORD_CHARS",
    "check_password_policy",
    "dummy_verify",
    "hash_password",
    "verify_password",
]

MIN_PASSWORD_CHARS = 8
#: bcrypt's input limit: longer passwords are refused, never truncated.
MAX_PASSWORD_BYTES = 72
#: How many of the list's most common passwords are refused.
COMMON_PASSWORDS_REFUSED = 30_000


@cache
def _common_passwords() -> frozenset[str]:
    # Imported when a password is first checked: the list is no cost of every cold start.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_REFUSED])


def _normalised(password: str) -> bytes:
    """The bytes that are hashed: NFC, so that one password typed on two keyboards matches."""
    return unicodedata.normalize("NFC", password).encode()


def check_password_policy(password: str, *, username: str = "", email: str = "") -> None:
    """Refuse a password that is too short, too long for bcrypt, common, or the account's name."""
    problem: str | None = None
    folded = password.casefold()
    if len(password) < MIN_PASSWORD_CHARS:
        problem = f"Use at least {MIN_PASSWORD_CHARS} characters."
    elif len(_normalised(password)) > MAX_PASSWORD_BYTES:
        problem = f"Use at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)."
    elif folded in _common_passwords():
        problem = "This password is too common."
    elif folded in {username.casefold(), email.casefold(), email.casefold().split("@")[0]}:
        problem = "The password must not be your username or email."
    if problem is not None:
        raise Invalid(
            "The password is too weak.", code="weak_password", errors={"password": problem}
        )


def hash_password(password: str, cost: int) -> str:
    """A bcrypt hash of a password that passed the policy (never truncated)."""
    raw = _normalised(password)
    if len(raw) > MAX_PASSWORD_BYTES:
        raise Invalid("The password is too long.", code="weak_password")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=cost)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """Whether a password matches its hash; a password over bcrypt's limit never matches."""
    raw = _normalised(password)
    # Too long never matches, but still costs one verification: answering at once would tell
    # a caller that the account exists (an unknown account costs a dummy verification).
    matches = bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], password_hash.encode())
    return matches and len(raw) <= MAX_PASSWORD_BYTES


@cache
def _dummy_hash(cost: int) -> str:
    return bcrypt.hashpw(b"parley-dummy-password", bcrypt.gensalt(rounds=cost)).decode()


def dummy_verify(password: str, cost: int) -> None:
    """Spend the time of one verification when there is no account, so timing tells nothing."""
    raw = _normalised(password)[:MAX_PASSWORD_BYTES]
    bcrypt.checkpw(raw, _dummy_hash(cost).encode())
