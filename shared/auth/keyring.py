"""The access tokens' signing keys: a private JWK Set, each key with the time it starts signing.

The set is configuration, never code (docs/auth.md): on AWS a SecureString parameter the stack
creates on its first deploy, locally a file generated once into the data folder.

Rotation publishes before it signs. API Gateway's JWT authorizer may cache the issuer's JWKS for
up to two hours, so a new key enters the set *pending*: it is published at once (every key of the
set is in the JWKS) but signs only from its ``activates_at`` (seconds since the epoch, a private
member of the JWK that never leaves the private set), at least :data:`PUBLISH_LEAD_S` later. The
ring signs with the newest key whose activation time has passed; a key without ``activates_at``
(sets written before rotation had a lead) has always been active, and among keys active since the
same moment the first in the set signs, as it always did. A key that stopped signing stays in the
set, verifying the tokens it signed, for :data:`RETAIN_S` after its successor took over.

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

__all__ = [
    "ALGORITHM",
    "PUBLISH_LEAD_S",
    "RETAIN_S",
    "KeyRing",
    "KeyRingError",
    "SigningKey",
    "new_private_jwk",
]

ALGORITHM = "RS256"
RSA_BITS = 2048
#: How long a new key is published before it signs: API Gateway caches a JWKS up to two hours.
PUBLISH_LEAD_S = 2 * 3600
#: How long a key that stopped signing still verifies: the longest access token lifetime.
RETAIN_S = 86_400
#: The private JWK member holding when a key starts signing.
ACTIVATES_AT = "activates_at"


class KeyRingError(Exception):
    """The configured key set cannot be used (the message names what is wrong, never the key)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    #: When it starts signing (seconds since the epoch); 0 for a key that always could.
    activates_at: int = 0

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        assert isinstance(jwk, dict)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def new_private_jwk(activates_at: int | None = None) -> dict[str, Any]:
    """A fresh RSA private key as a JWK, its ``kid`` time-ordered so that sets sort readably;
    with ``activates_at``, a pending key that signs only from then on."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    assert isinstance(jwk, dict)
    kid = f"{int(time.time())}-{secrets.token_hex(4)}"
    jwk = {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}
    if activates_at is not None:
        jwk[ACTIVATES_AT] = int(activates_at)
    return jwk


def _dump(entries: list[dict[str, Any]]) -> str:
    # Compact: the set lives in an SSM parameter, whose standard tier holds 4 KB.
    return json.dumps({"keys": entries}, separators=(",", ":"))


@dataclass(frozen=True)
class KeyRing:
    """Every key whose signatures are accepted; which one signs depends on the time."""

    keys: tuple[SigningKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the signing key set holds no key")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise KeyRingError("two signing keys share a kid")

    def signer_at(self, now: float) -> SigningKey:
        """The newest key active at ``now`` (the first of equals). A set whose every key is
        still pending signs with the earliest: refusing to sign at all would lock everyone out."""
        active = [k for k in self.keys if k.activates_at <= now]
        if not active:
            return min(self.keys, key=lambda k: k.activates_at)
        newest = max(k.activates_at for k in active)
        return next(k for k in active if k.activates_at == newest)

    @property
    def signer(self) -> SigningKey:
        """The key that signs now."""
        return self.signer_at(time.time())

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        for key in self.keys:
            if key.kid == kid:
                return key.private_key.public_key()
        return None

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set, as served at ``/.well-known/jwks.json``: every key, pending,
        signing or retiring."""
        return {"keys": [key.public_jwk() for key in self.keys]}

    @classmethod
    def from_json(cls, text: str | bytes) -> KeyRing:
        """A ring from a private JWK Set (``{"keys": [...]}``)."""
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
            activates_at = entry.get(ACTIVATES_AT, 0)
            if not isinstance(activates_at, int) or isinstance(activates_at, bool):
                raise KeyRingError(f"signing key {kid}: {ACTIVATES_AT} must be an integer")
            try:
                private = RSAAlgorithm.from_jwk(entry)
            except Exception as exc:  # the library raises several types for a bad key
                raise KeyRingError(f"signing key {kid} cannot be read") from exc
            if not isinstance(private, rsa.RSAPrivateKey):
                raise KeyRingError(f"signing key {kid} is not a private key")
            keys.append(SigningKey(kid=kid, private_key=private, activates_at=activates_at))
        return cls(tuple(keys))

    @staticmethod
    def new_set_json() -> str:
        """A first key set: one key, active at once (nobody has cached a JWKS yet)."""
        return _dump([new_private_jwk()])

    @staticmethod
    def rotated_set_json(
        previous: str,
        *,
        now: float | None = None,
        lead_s: int = PUBLISH_LEAD_S,
        retain_s: int = RETAIN_S,
    ) -> str:
        """``previous`` with a new pending key in front, signing ``lead_s`` from ``now``.

        Kept: every pending key, the key signing now, and each older key whose successor took
        over less than ``retain_s`` ago (the tokens it signed may still be valid).
        """
        when = time.time() if now is None else now
        ring = KeyRing.from_json(previous)  # refuse to rotate a set that is already broken
        signer = ring.signer_at(when)
        entries = {e["kid"]: e for e in json.loads(previous)["keys"]}
        kept = []
        for index, key in enumerate(ring.keys):
            # Its successor: a key activated after it, or (the first of equals signs) before
            # it in the set, activated at the same time.
            successors = [
                k.activates_at
                for i, k in enumerate(ring.keys)
                if k.activates_at > key.activates_at
                or (k.activates_at == key.activates_at and i < index)
            ]
            took_over = min(successors) if successors else None
            if (
                key.activates_at > when
                or key.kid == signer.kid
                or (took_over is not None and when - took_over < retain_s)
            ):
                kept.append(entries[key.kid])
        return _dump([new_private_jwk(activates_at=int(when) + lead_s), *kept])
