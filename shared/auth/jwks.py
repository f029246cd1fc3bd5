"""Verifying access tokens with the issuer's public keys only, fetched from its JWKS.

For functions that must check a token but have no business holding the signing keys (the
gateway's authorizer, IDENTIFY and RESUME): the keys come from ``<issuer>/.well-known/jwks.json``,
as API Gateway's own JWT authorizer gets them, fetched and parsed by PyJWT's JWKS client.

Anyone can send a token whose ``kid`` is unknown, or send tokens while the endpoint is failing,
on every frame. So the set is fetched at most once per :data:`REFETCH_AFTER_S` whatever the
tokens say and whether the last fetch worked or not: an unknown ``kid`` within that time is
simply unknown. A rotated key is published two hours before it signs (docs/auth.md), far
longer than that. Known keys are kept for :data:`KEYS_LIFESPAN_S`, then fetched again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config import get_settings

__all__ = ["KEYS_LIFESPAN_S", "REFETCH_AFTER_S", "IssuerKeys", "issuer_keys"]

#: The least time between two fetches of the key set (the first one aside).
REFETCH_AFTER_S = 60.0
#: How long a fetched key set is trusted before it is fetched again.
KEYS_LIFESPAN_S = 3600.0


class IssuerKeys:
    """The issuer's published keys, by ``kid`` (the shape ``verify_access_token`` reads)."""

    def __init__(self, jwks_url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_jwk_set=False, timeout=5)
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._fetched_at: float | None = None  # the last attempt, whether it worked or not
        self._loaded_at: float | None = None  # the last set that was fetched

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        with self._lock:
            now = self._clock()
            fresh = self._loaded_at is not None and now - self._loaded_at < KEYS_LIFESPAN_S
            if fresh and kid in self._keys:
                return self._keys[kid]
            if self._fetched_at is None or now - self._fetched_at >= REFETCH_AFTER_S:
                self._fetch(now)
            return self._keys.get(kid)

    def _fetch(self, now: float) -> None:
        self._fetched_at = now
        try:
            key_set = self._client.get_jwk_set()
        except (jwt.PyJWKClientError, jwt.PyJWKSetError):
            return  # keep what was known; ask again after REFETCH_AFTER_S
        self._keys = {
            key.key_id: key.key
            for key in key_set.keys
            if key.key_id and isinstance(key.key, rsa.RSAPublicKey)
        }
        self._loaded_at = now


@cache
def issuer_keys() -> IssuerKeys:
    """The keys of this deployment's issuer (one client, and its cache, per container)."""
    return IssuerKeys(f"{get_settings().jwt_issuer}/.well-known/jwks.json")
