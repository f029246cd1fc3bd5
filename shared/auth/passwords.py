"""Password policy and hashing (bcrypt over a SHA-256 pre-hash).

bcrypt reads at most 72 bytes of its input and silently ignores the rest: a passphrase of 37
Cyrillic letters would already lose its end. New hashes are therefore bcrypt of the base64 of
the password's SHA-256 (44 ASCII bytes, no NUL), marked ``sha256$`` in front of bcrypt's own
string, so every byte of a password counts. Hashes made before that (plain ``$2b$``) still
verify the old way. The policy (ASVS level 2): 12 to 256 characters, not the account's own name,
and not guessable by zxcvbn (its lists of common passwords, words and names, keyboard walks,
repeats and sequences).
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from functools import cache

import bcrypt

from shared.errors import Invalid

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "check_password_policy",
    "dummy_verify",
    "hash_password",
    "verify_password",
]

MIN_PASSWORD_CHARS = 12
#: Long enough for any passphrase (ASVS asks for 64 at least), short enough to hash cheaply.
MAX_PASSWORD_CHARS = 256
#: zxcvbn's score (0..4) a password must reach: 3 is "safely unguessable" (1e8 guesses and more).
MIN_SCORE = 3
#: bcrypt's input limit, which only hashes made before the pre-hash are bound by.
_BCRYPT_MAX_BYTES = 72
_PRE_HASHED = "sha256$"
_ZXCVBN_MAX_CHARS = 72


def _normalised(password: str) -> bytes:
    """The bytes that are hashed: NFC, so that one password typed on two keyboards matches."""
    return unicodedata.normalize("NFC", password).encode()


def _pre_hash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(_normalised(password)).digest())


def _score(password: str, user_inputs: list[str]) -> int:
    # Imported when a password is first checked: its lists are no cost of every cold start.
    from zxcvbn import zxcvbn

    # zxcvbn refuses input over 72 characters; their first 72 are the part worth scoring.
    return int(zxcvbn(password[:_ZXCVBN_MAX_CHARS], user_inputs=user_inputs)["score"])


def check_password_policy(password: str, *, username: str = "", email: str = "") -> None:
    """Refuse a password that is too short or long, the account's name, or guessable."""
    problem: str | None = None
    folded = password.casefold()
    names = [n for n in (username, email, email.split("@")[0]) if n]
    if len(password) < MIN_PASSWORD_CHARS:
        problem = f"Use at least {MIN_PASSWORD_CHARS} characters."
    elif len(password) > MAX_PASSWORD_CHARS:
        problem = f"Use at most {MAX_PASSWORD_CHARS} characters."
    elif folded in {n.casefold() for n in names}:
        problem = "The password must not be your username or email."
    elif _score(password, names) < MIN_SCORE:
        problem = "This password is too common or too easy to guess; try a few unrelated words."
    if problem is not None:
        raise Invalid(
            "The password is too weak.", code="weak_password", errors={"password": problem}
        )


def hash_password(password: str, cost: int) -> str:
    """The hash of a password that passed the policy: ``sha256$`` + bcrypt of its pre-hash."""
    return _PRE_HASHED + bcrypt.hashpw(_pre_hash(password), bcrypt.gensalt(rounds=cost)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """Whether a password matches its hash (pre-hashed, or a plain bcrypt hash of old)."""
    if password_hash.startswith(_PRE_HASHED):
        stored = password_hash.removeprefix(_PRE_HASHED).encode()
        return bcrypt.checkpw(_pre_hash(password), stored)
    raw = _normalised(password)
    # An old hash saw 72 bytes at most: a longer password never matches it, but still costs
    # one verification (answering at once would tell a caller the account exists).
    matches = bcrypt.checkpw(raw[:_BCRYPT_MAX_BYTES], password_hash.encode())
    return matches and len(raw) <= _BCRYPT_MAX_BYTES


@cache
def _dummy_hash(cost: int) -> str:
    return hash_password("parley-dummy-password", cost)


def dummy_verify(password: str, cost: int) -> None:
    """Spend the time of one verification when there is no account, so timing tells nothing."""
    verify_password(password, _dummy_hash(cost))
