"""Access tokens (short-lived RS256 JWTs) and refresh tokens (opaque, rotating, in families).

Pure: no I/O. An access token carries ``iss``, ``aud``, ``sub`` (the user's snowflake as a
decimal string), ``iat``, ``nbf``, ``exp``, ``jti`` and ``kid`` in its header, which is what API
Gateway's JWT authorizer checks. A refresh token is ``<family>.<secret>``: the family id is
random (not a snowflake), so only someone who held a token of the family can name it; the store
keeps only a SHA-256 of the current token of each family.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.keyring import ALGORITHM, KeyRing
from shared.errors import Unauthorized

__all__ = [
    "AccessToken",
    "RefreshToken",
    "issue_access_token",
    "new_refresh_token",
    "parse_refresh_token",
    "verify_access_token",
]

#: Seconds of clock skew tolerated between the signer and a verifier.
LEEWAY_S = 5


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    jti: str


def issue_access_token(
    ring: KeyRing,
    *,
    user_id: int,
    issuer: str,
    audience: str,
    ttl_s: int,
    login: str | None = None,
    now: float | None = None,
) -> AccessToken:
    """A signed access token for one user; ``login`` (claim ``sid``): the login it belongs to,
    so the gateway can refuse it once that login has ended."""
    issued = int(now if now is not None else time.time())
    jti = uuid.uuid4().hex
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_s,
        "jti": jti,
        "scope": "parley",
    }
    if login is not None:
        claims["sid"] = login
    signer = ring.signer_at(issued)
    token = jwt.encode(
        claims, signer.private_key, algorithm=ALGORITHM, headers={"kid": signer.kid, "typ": "JWT"}
    )
    return AccessToken(token=token, expires_in=ttl_s, jti=jti)


class PublicKeys(Protocol):
    """Where verification finds a public key by its ``kid`` (a key ring, or the issuer's JWKS)."""

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None: ...


def verify_access_token(
    ring: PublicKeys, token: str, *, issuer: str, audience: str
) -> dict[str, Any]:
    """The claims of a valid access token; :class:`Unauthorized` for anything else.

    Only RS256 is accepted (so ``alg: none`` and HMAC-with-the-public-key forgeries fail), the
    ``kid`` must name a key of the ring, and ``iss``, ``aud``, ``exp``, ``nbf``, ``iat`` and a
    numeric ``sub`` are all required.
    """
    try:
        header = jwt.get_unverified_header(token)
        key = ring.public_key(str(header.get("kid", "")))
        if key is None:
            raise jwt.InvalidTokenError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_S,
            options={"require": ["iss", "aud", "sub", "exp", "iat", "nbf", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("The access token is not valid.", code="invalid_token") from exc
    if not str(claims.get("sub", "")).isdigit():
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    return claims


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class RefreshToken:
    family: str
    token: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.token.encode()).hexdigest()

    @property
    def login(self) -> str:
        """The family's public id (access tokens' ``sid``): a digest, because the family itself
        is half of the refresh token and access tokens are readable by whoever holds them."""
        return _b64(hashlib.sha256(b"login:" + self.family.encode()).digest())[:22]


def new_refresh_token(family: str | None = None) -> RefreshToken:
    """A new refresh token: of a new family, or the next one of ``family`` (rotation)."""
    family = family or _b64(secrets.token_bytes(16))
    return RefreshToken(family=family, token=f"{family}.{_b64(secrets.token_bytes(32))}")


def parse_refresh_token(text: str) -> RefreshToken:
    """A refresh token a client presented; :class:`Unauthorized` when it is not shaped like one."""
    family, _, secret = text.partition(".")
    try:
        ok = (
            len(base64.urlsafe_b64decode(family + "==")) == 16
            and len(base64.urlsafe_b64decode(secret + "=")) == 32
        )
    except (binascii.Error, ValueError):
        ok = False
    if not ok or len(text) > 100:
        raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
    return RefreshToken(family=family, token=text)
