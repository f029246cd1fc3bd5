"""Sessions: the token pair a login gives, its rotation, and logout.

A login starts a refresh token family; each refresh replaces the family's current token and
hands out a new access token. Presenting a token of the family that is no longer current means
it was copied: the whole family is revoked, so both the thief and the user must sign in again.

Access tokens carry their login's id (``sid``). Ending a login (logout) or every login of a user
(logout everywhere, a password change) revokes the families, marks the logins ended — the
gateway then refuses their access tokens — and closes the gateway connections they opened.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.auth.domain.users import User
from shared.auth.keysource import load_keyring
from shared.auth.storage import refresh_tokens
from shared.auth.storage.refresh_tokens import Rotation
from shared.auth.storage.users import get_user
from shared.auth.tokens import (
    RefreshToken,
    issue_access_token,
    new_refresh_token,
    parse_refresh_token,
)
from shared.config import get_settings
from shared.errors import Unauthorized
from shared.gateway.signout import close_connections
from shared.observability import logger

__all__ = ["logout", "logout_everywhere", "refresh", "start_session"]


def _token_response(user: User, refresh_token: RefreshToken) -> dict[str, Any]:
    settings = get_settings()
    access = issue_access_token(
        load_keyring(settings),
        user_id=user.id,
        login=refresh_token.login,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=settings.access_token_ttl_s,
    )
    return {
        "user": user.private(),
        "access_token": access.token,
        "refresh_token": refresh_token.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
    }


def start_session(user: User) -> dict[str, Any]:
    """A new token pair for a user who just proved who they are (a new refresh family)."""
    settings = get_settings()
    token = new_refresh_token()
    expires = datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s)
    refresh_tokens.create_family(token.family, token.login, user.id, token.digest, expires)
    return _token_response(user, token)


def refresh(presented: str) -> dict[str, Any]:
    """Rotate a refresh token: a new pair, or Unauthorized (revoking the family on reuse)."""
    token = parse_refresh_token(presented)
    successor = new_refresh_token(token.family)
    outcome = refresh_tokens.rotate(token.family, token.digest, successor.digest, token.login)
    if outcome.rotation is Rotation.REUSED:
        _end_login(token)
        logger.warning("refresh token reused: login ended", extra={"user_id": outcome.user_id})
        raise Unauthorized(
            "This refresh token was already used; sign in again.", code="refresh_token_reused"
        )
    if outcome.rotation is Rotation.REVOKED:
        raise Unauthorized("This session has ended; sign in again.", code="refresh_token_revoked")
    if outcome.rotation is Rotation.UNKNOWN or outcome.user_id is None:
        raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
    record = get_user(outcome.user_id)
    if record is None:
        refresh_tokens.revoke_family(token.family)
        raise Unauthorized("The account no longer exists.", code="invalid_refresh_token")
    return _token_response(record.user, successor)


def logout(presented: str) -> None:
    """End the login a refresh token belongs to (every token of its family) and close the
    gateway connections it opened; the user's other logins go on."""
    _end_login(parse_refresh_token(presented))


def _end_login(token: RefreshToken) -> None:
    """Revoke a refresh token's family, mark its login ended, close its gateway connections."""
    user_id = refresh_tokens.revoke_family(token.family)
    if user_id is not None:
        refresh_tokens.end_login(user_id, token.login)
        close_connections(user_id, login=token.login)


def logout_everywhere(user_id: int) -> None:
    """End every login of a user and close every gateway connection of theirs."""
    for login, family in refresh_tokens.logins_of(user_id).items():
        refresh_tokens.revoke_family(family)
        refresh_tokens.end_login(user_id, login)
    close_connections(user_id)
