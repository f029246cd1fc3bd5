"""Accounts: registration, password login, profiles, and accounts from OpenID logins.

Login answers the same ``invalid_credentials`` for an unknown account and a wrong password, and
spends one bcrypt verification either way, so neither the answer nor its time tells whether an
account exists.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.auth import passwords
from shared.auth.domain.users import User, normalise_email, validate_global_name, validate_username
from shared.auth.storage import users as store
from shared.config import get_settings
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized
from shared.ids import new_id
from shared.outbox.domain.events import EventName, GatewayEvent

__all__ = [
    "change_password",
    "get_me",
    "get_public_user",
    "login",
    "oidc_login",
    "register",
    "resolve_login",
    "update_me",
]


def start_session(user: User) -> dict[str, Any]:
    """A new session for ``user``. Token signing (PyJWT, cryptography, the signing keys) is
    imported by the calls that sign someone in: the users function imports this module for
    profiles and never does."""
    from shared.auth import logins as sessions

    return sessions.start_session(user)


def register(username: str, email: str, password: str) -> dict[str, Any]:
    """Create an account with a password and start its first session."""
    username = validate_username(username)
    email = normalise_email(email)
    passwords.check_password_policy(password, username=username, email=email)
    password_hash = passwords.hash_password(password, get_settings().bcrypt_cost)
    user = User(
        id=new_id(),
        username=username,
        email=email,
        created_at=datetime.now(UTC),
    )
    store.create_user(user, password_hash)
    return start_session(user)


def resolve_login(login_name: str) -> int | None:
    """The account a login name (a username or an email, in any case) names, if any."""
    login_name = login_name.strip()
    if "@" in login_name:
        return store.find_user_id(email=login_name)
    return store.find_user_id(username=login_name)


def login(login_name: str, password: str) -> dict[str, Any]:
    """A session for a username or email and its password; the same refusal for any mistake."""
    cost = get_settings().bcrypt_cost
    user_id = resolve_login(login_name)
    record = store.get_user(user_id) if user_id is not None else None
    if record is None or record.password_hash is None:
        passwords.dummy_verify(password, cost)
        ok = False
    else:
        ok = passwords.verify_password(password, record.password_hash)
    if not ok or record is None:
        raise Unauthorized("The login or the password is wrong.", code="invalid_credentials")
    return start_session(record.user)


def _record(user_id: int) -> store.UserRecord:
    record = store.get_user(user_id)
    if record is None:
        raise NotFound("No such user.", code="unknown_user")
    return record


def get_me(user_id: int) -> dict[str, Any]:
    return _record(user_id).user.private()


def get_public_user(user_id: int) -> dict[str, Any]:
    return _record(user_id).user.public()


def update_me(
    user_id: int,
    *,
    username: str | None = None,
    global_name: str | None = None,
    allow_dms_from_guild_members: bool | None = None,
) -> dict[str, Any]:
    """Change one's username (still unique, case-insensitively), display name, and whether
    members of one's guilds may open DMs with one.

    Each change emits USER_UPDATE to the user's own sessions with the profile as it then is.
    """
    record = _record(user_id)
    user = record.user
    if global_name is not None:
        cleaned = validate_global_name(global_name)
        user = replace(user, global_name=cleaned)
        store.update_global_name(user_id, cleaned, _user_update(user))
    if username is not None and username != user.username:
        renamed = replace(user, username=validate_username(username))
        store.rename_user(record, renamed.username, _user_update(renamed))
        user = renamed
    if allow_dms_from_guild_members is not None:
        user = replace(user, allow_dms_from_guild_members=allow_dms_from_guild_members)
        store.set_allow_dms_from_guild_members(
            user_id, allow_dms_from_guild_members, _user_update(user)
        )
    if user.public() != record.user.public():
        from shared.guilds import members  # the guilds area stands above accounts

        members.profile_changed(user_id, user.public())
    return user.private()


def change_password(user_id: int, password: str, new_password: str) -> None:
    """Change one's password, proving the current one; every login of the user ends (their
    sessions elsewhere, this one too) and their gateway connections close."""
    record = _record(user_id)
    if record.password_hash is None:
        passwords.dummy_verify(password, get_settings().bcrypt_cost)
        raise Forbidden(
            "This account signs in with a provider and has no password.", code="no_password"
        )
    if not passwords.verify_password(password, record.password_hash):
        raise Forbidden(
            "The current password is wrong.",
            code="invalid_password",
            errors={"password": "not the current password"},
        )
    user = record.user
    passwords.check_password_policy(new_password, username=user.username, email=user.email)
    store.set_password_hash(
        user_id, passwords.hash_password(new_password, get_settings().bcrypt_cost)
    )
    from shared.auth import logins as sessions  # see start_session

    sessions.logout_everywhere(user_id)


def _user_update(user: User) -> GatewayEvent:
    """USER_UPDATE, to the user's own sessions only."""
    return GatewayEvent(EventName.USER_UPDATE, None, user.private(), user_id=user.id)


# ---------------------------------------------------------------- OpenID logins

_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_.]+")


def _username_candidates(preferred: str | None, email: str) -> list[str]:
    base = _NOT_USERNAME.sub("", preferred or "") or _NOT_USERNAME.sub("", email.split("@")[0])
    base = (base.replace("..", ".") or "user")[:27].ljust(2, "_")
    return [base] + [f"{base}{secrets.randbelow(10_000):04d}" for _ in range(5)]


def oidc_login(
    issuer: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    preferred_username: str | None,
) -> dict[str, Any]:
    """A session for an OpenID identity: its linked account, else the account of its email if
    that account's email is verified (now linked), else a new account (without a password).

    An account whose email nobody verified is never joined: anyone can register an address
    they do not own, and the owner's later sign-in must not land in the squatter's account
    (:class:`Conflict` ``account_exists``; docs/decisions.md).
    """
    user_id = store.find_identity(issuer, subject)
    if user_id is None:
        if not email or not email_verified:
            raise Forbidden(
                "The provider did not vouch for an email address.", code="email_not_verified"
            )
        email = normalise_email(email)
        user_id = store.find_user_id(email=email)
        if user_id is None:
            return start_session(_create_oidc_user(issuer, subject, email, preferred_username))
        holder = store.get_user(user_id)
        if holder is None or not holder.user.email_verified:
            raise Conflict(
                "An account with this email already exists and its email is not verified: "
                "sign in with its password, or use another address.",
                code="account_exists",
            )
        store.link_identity(user_id, issuer, subject)
    record = store.get_user(user_id)
    if record is None:
        raise Unauthorized("The linked account no longer exists.", code="unknown_user")
    return start_session(record.user)


def _create_oidc_user(
    issuer: str, subject: str, email: str, preferred_username: str | None
) -> User:
    last: Conflict | None = None
    for candidate in _username_candidates(preferred_username, email):
        user = User(
            id=new_id(),
            username=candidate,
            email=email,
            email_verified=True,
            created_at=datetime.now(UTC),
            has_password=False,
        )
        try:
            store.create_user(user, None, identity=(issuer, subject))
            return user
        except Conflict as conflict:
            if conflict.code != "username_taken":
                raise
            last = conflict
    assert last is not None
    raise last
