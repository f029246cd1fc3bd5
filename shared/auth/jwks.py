"""Verifying access tokens with the issuer's public keys only, fetched from its JWKS.

For functions that must check a token but have no business holding the signing keys (the
gateway's IDENTIFY and RESUME): the keys come from ``<issuer>/.well-known/jwks.json``, as API
Gateway's own JWT authorizer gets them, through PyJWT's caching JWKS client.
"""

from __future__ import annotations

from functools import cache

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config import get_settings

__all__ = ["IssuerKeys", "issuer_keys"]


class IssuerKeys:
    """The issuer's published keys, by ``kid`` (the shape ``verify_access_token`` reads)."""

    def __init__(self, jwks_url: str) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        try:
            key = self._client.get_signing_key(kid).key
        except jwt.PyJWKClientError:
            return None
        return key if isinstance(key, rsa.RSAPublicKey) else None


@cache
def issuer_keys() -> IssuerKeys:
    """The keys of this deployment's issuer (one client, and its cache, per container)."""
    return IssuerKeys(f"{get_settings().jwt_issuer}/.well-known/jwks.json")
