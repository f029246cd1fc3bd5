"""API Gateway's HTTP API JWT authorizer, locally, as the template configures it.

What AWS does for a route with a JWT authorizer, in order: read the token from the identity
source (the bare token or ``Bearer <token>``); decode it; find the key named by its ``kid`` in
the issuer's JWKS (found through ``<issuer>/.well-known/openid-configuration``); check the RSA
signature; check ``iss`` against the configured issuer, ``aud`` (or else ``client_id``) against
the audiences, ``exp``, and ``nbf``/``iat`` when present; check the route's scopes. A failure is
401 ``{"message":"Unauthorized"}`` with a ``www-authenticate`` header (403 ``Forbidden`` for
missing scopes); success hands the function ``requestContext.authorizer.jwt`` with every claim
as a string and the token's scopes.

The pure part (:func:`authorize`) takes the JWKS as an argument; :class:`JwtAuthorizer` fetches
and caches it lazily, on the first request that needs it, so a stack whose functions serve
their own issuer (Parley's does) starts without waiting on itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from emulator.template import JwtAuthorizerSpec

__all__ = ["Allowed", "JwtAuthorizer", "Refused", "authorize", "flatten_claims"]

log = logging.getLogger("parley.jwt")

#: API Gateway verifies RSA signatures only.
ALGORITHMS = ("RS256", "RS384", "RS512")
JWKS_MAX_AGE_S = 3600.0
#: An unknown kid refetches the JWKS (a rotation), but not more often than this.
REFETCH_INTERVAL_S = 5.0


@dataclass(frozen=True)
class Allowed:
    claims: dict[str, str]
    scopes: list[str] | None

    def context(self) -> dict[str, Any]:
        """``requestContext.authorizer`` as the function sees it."""
        return {"jwt": {"claims": self.claims, "scopes": self.scopes}}


@dataclass(frozen=True)
class Refused:
    status: int
    www_authenticate: str

    @property
    def message(self) -> str:
        return "Unauthorized" if self.status == 401 else "Forbidden"


def _invalid(description: str) -> Refused:
    return Refused(401, f'Bearer scope="" error="invalid_token" error_description="{description}"')


def _flat(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_flat(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway passes them: strings, arrays as ``[a b]``."""
    return {name: _flat(value) for name, value in claims.items()}


def _scopes(claims: dict[str, Any]) -> list[str] | None:
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return raw.split() or None
    if isinstance(raw, list):
        return [str(s) for s in raw] or None
    return None


def bearer_token(header_value: str | None) -> str | None:
    """The token of an identity source value: bare, or after ``Bearer ``."""
    if not header_value:
        return None
    value = header_value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def authorize(
    spec: JwtAuthorizerSpec,
    token: str | None,
    jwks: jwt.PyJWKSet | None,
    route_scopes: tuple[str, ...] = (),
) -> Allowed | Refused:
    """Decide one request, given the issuer's key set (None: it could not be fetched)."""
    if token is None:
        return Refused(401, "Bearer")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return _invalid("the token is not a valid JWT")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        return _invalid(f"the token's alg {str(alg)[:16]} is not supported")
    if jwks is None:
        return _invalid("unable to fetch the issuer's signing keys")
    key = next((k for k in jwks.keys if k.key_id == header.get("kid")), None)
    if key is None:
        return _invalid("the token's kid is not in the issuer's key set")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[str(alg)],
            issuer=spec.issuer,
            options={"require": ["exp", "iss"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        return _invalid("the token has expired")
    except jwt.ImmatureSignatureError:
        return _invalid("the token is not valid yet")
    except jwt.InvalidIssuerError:
        return _invalid("the token has an invalid issuer")
    except jwt.InvalidSignatureError:
        return _invalid("the token does not have a valid signature")
    except jwt.InvalidTokenError as exc:
        return _invalid(f"the token is not valid: {exc}")
    audiences = claims.get("aud")
    presented = set(audiences if isinstance(audiences, list) else [audiences])
    audience_ok = bool(presented & set(spec.audience)) or claims.get("client_id") in spec.audience
    if spec.audience and not audience_ok:
        return _invalid("the token does not have a valid audience")
    scopes = _scopes(claims)
    if route_scopes and not set(route_scopes) & set(scopes or []):
        wanted = " ".join(route_scopes)
        return Refused(
            403,
            f'Bearer scope="{wanted}" error="insufficient_scope" '
            f'error_description="expected scopes: [{wanted}]"',
        )
    return Allowed(claims=flatten_claims(claims), scopes=scopes)


class JwtAuthorizer:
    """One configured authorizer with its issuer's key set, fetched when first needed."""

    def __init__(self, spec: JwtAuthorizerSpec) -> None:
        self.spec = spec
        self._jwks: jwt.PyJWKSet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self) -> jwt.PyJWKSet:
        discovery = f"{self.spec.issuer.rstrip('/')}/.well-known/openid-configuration"
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(discovery) as response:
                response.raise_for_status()
                jwks_uri = (await response.json(content_type=None))["jwks_uri"]
            async with session.get(jwks_uri) as response:
                response.raise_for_status()
                return jwt.PyJWKSet.from_dict(await response.json(content_type=None))

    async def key_set(self, kid: str | None) -> jwt.PyJWKSet | None:
        """The cached key set; fetched when absent, stale, or missing ``kid`` (a rotation)."""
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            known = self._jwks is not None and any(k.key_id == kid for k in self._jwks.keys)
            if (
                self._jwks is None
                or age > JWKS_MAX_AGE_S
                or (not known and age > REFETCH_INTERVAL_S)
            ):
                try:
                    self._jwks = await self._fetch()
                    self._fetched_at = time.monotonic()
                except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
                    log.warning("cannot fetch the JWKS of %s: %s", self.spec.issuer, exc)
                    self._fetched_at = time.monotonic()
            return self._jwks

    async def check(
        self, header_value: str | None, route_scopes: tuple[str, ...] = ()
    ) -> Allowed | Refused:
        token = bearer_token(header_value)
        kid: str | None = None
        if token is not None:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.InvalidTokenError:
                return authorize(self.spec, token, None, route_scopes)
        jwks = await self.key_set(kid) if token is not None else None
        return authorize(self.spec, token, jwks, route_scopes)
