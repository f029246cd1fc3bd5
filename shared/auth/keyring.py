"""The access tokens' signing keys: a private JWK Set whose first key signs.

The set is configuration, never code (docs/auth.md): on AWS a SecureString parameter or a secret,
locally a file generated once into the data folder. Rotation is adding a new key in front and
dropping the old one after one access-token lifetime; every key in the set is published in the
JWKS, so tokens signed by the previous key stay valid until they expire.

Keys are RSA (RS256): API Gateway's JWT authorizer verifies RSA signatures.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["ALGORITHM", "KeyRing", "KeyRingError", "SigningKey", "new_private_jwk"]

ALGORITHM = "RS256"
RSA_BITS = 2048


class KeyRingError(Exception):
    """The configured key set cannot be used (the message names what is wrong, never the key)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        assert isinstance(jwk, dict)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def new_private_jwk() -> dict[str, Any]:
    """A fresh RSA private key as a JWK, its ``kid`` time-ordered so that sets sort readably."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    assert isinstance(jwk, dict)
    kid = f"{int(time.time())}-{secrets.token_hex(4)}"
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class KeyRing:
    """The signing key (first) and every key whose signatures are still accepted."""

    keys: tuple[SigningKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the signing key set holds no key")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise KeyRingError("two signing keys share a kid")

    @property
    def signer(self) -> SigningKey:
        return self.keys[0]

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        for key in self.keys:
            if key.kid == kid:
                return key.private_key.public_key()
        return None

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set, as served at ``/.well-known/jwks.json``."""
        return {"keys": [key.public_jwk() for key in self.keys]}

    @classmethod
    def from_json(cls, text: str | bytes) -> KeyRing:
        """A ring from a private JWK Set (``{"keys": [...]}``), the first key signing."""
        try:
            data = json.loads(text)
            entries = data["keys"]
        except (ValueError, TypeError, KeyError) as exc:
            raise KeyRingError("the signing key set is not a JWK Set") from exc
        keys = []
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or "d" not in entry:
                raise KeyRingError("every signing key must be an RSA private JWK")
            kid = entry.get("kid")
            if not isinstance(kid, str) or not kid:
                raise KeyRingError("every signing key needs a kid")
            try:
                private = RSAAlgorithm.from_jwk(entry)
            except Exception as exc:  # the library raises several types for a bad key
                raise KeyRingError(f"signing key {kid} cannot be read") from exc
            if not isinstance(private, rsa.RSAPrivateKey):
                raise KeyRingError(f"signing key {kid} is not a private key")
            keys.append(SigningKey(kid=kid, private_key=private))
        return cls(tuple(keys))

    @staticmethod
    def new_set_json(previous: str | None = None, *, keep: int = 1) -> str:
        """A key set with a new signing key in front and up to ``keep`` previous keys after it."""
        old: list[dict[str, Any]] = []
        if previous:
            KeyRing.from_json(previous)  # refuse to rotate a set that is already broken
            old = list(json.loads(previous)["keys"])[:keep]
        return json.dumps({"keys": [new_private_jwk(), *old]}, indent=1)
