"""Voice tokens: the short-lived, single-use JWTs that admit a client to one media node's room.

The voice function mints one when it allocates a node (``VOICE_SERVER_UPDATE.d.token``); the node
verifies it before it does anything else with a connection. The token's audience is the node's id,
so a token for one node is refused by every other; it lives seconds, not hours; and its ``jti`` is
remembered by the node until it expires, so a leaked token cannot be replayed. Signing is ES256
with a key pair whose public half the node reads as a JWKS from its settings: nodes can verify but
never mint. Pure: no AWS, no I/O; the clock is an argument so tests control time.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from shared.errors import Unauthorized

__all__ = [
    "ALGORITHM",
    "ISSUER",
    "MAX_LIFETIME_S",
    "VOICE_USE",
    "UsedTokens",
    "VoiceGrant",
    "VoiceKeyPair",
    "VoiceTokenVerifier",
    "generate_voice_keys",
    "mint_control_token",
    "mint_voice_token",
]

ALGORITHM = "ES256"
ISSUER = "parley"
#: The ``use`` claim: keeps other Parley JWTs (access tokens) from passing as voice tokens.
VOICE_USE = "voice"
#: The ``use`` claim of the tokens the functions present to a node's control API.
CONTROL_USE = "control"
#: No voice token may live longer than this; it also bounds the node's memory of used ``jti``s.
MAX_LIFETIME_S = 300
#: Default lifetime: long enough to open a WebSocket after VOICE_SERVER_UPDATE, no longer.
DEFAULT_TTL_S = 60
#: Clock skew tolerated between the minting function and the node.
LEEWAY_S = 5


@dataclass(frozen=True)
class VoiceGrant:
    """What a verified voice token admits: one user into one channel's room on one node."""

    user_id: str
    guild_id: str
    channel_id: str
    node_id: str
    server_mute: bool
    server_deaf: bool
    jti: str
    expires_at: float

    def __post_init__(self) -> None:
        for name in ("user_id", "guild_id", "channel_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.isdigit() or len(value) > 20:
                raise ValueError(f"{name} must be a snowflake string")


@dataclass(frozen=True)
class VoiceKeyPair:
    """A signing key (PEM, for the minting function) and its public JWKS (for the nodes)."""

    kid: str
    private_pem: str
    jwks: dict[str, Any]

    def jwks_json(self) -> str:
        return json.dumps(self.jwks)


def generate_voice_keys(kid: str | None = None) -> VoiceKeyPair:
    """A fresh P-256 key pair: for local stacks and tests (deployments keep theirs in a secret)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = kid or secrets.token_hex(8)
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    return VoiceKeyPair(kid=kid, private_pem=pem, jwks={"keys": [jwk]})


def mint_voice_token(
    private_pem: str,
    *,
    kid: str,
    node_id: str,
    user_id: str,
    guild_id: str,
    channel_id: str,
    server_mute: bool = False,
    server_deaf: bool = False,
    ttl_s: int = DEFAULT_TTL_S,
    now: float | None = None,
) -> str:
    """A signed voice token for ``user_id`` to join ``channel_id``'s room on ``node_id``."""
    claims = {
        "guild_id": guild_id,
        "channel_id": channel_id,
        "server_mute": server_mute,
        "server_deaf": server_deaf,
    }
    return _sign(private_pem, kid, node_id, user_id, VOICE_USE, claims, ttl_s, now)


def mint_control_token(
    private_pem: str,
    *,
    kid: str,
    node_id: str,
    ttl_s: int = 30,
    now: float | None = None,
) -> str:
    """A single-use token for one call of ``node_id``'s control API (server mute, disconnect)."""
    return _sign(private_pem, kid, node_id, "parley-functions", CONTROL_USE, {}, ttl_s, now)


def _sign(
    private_pem: str,
    kid: str,
    node_id: str,
    subject: str,
    use: str,
    extra: dict[str, Any],
    ttl_s: int,
    now: float | None,
) -> str:
    """A token for ``node_id`` of one ``use``, single-use (its ``jti``), valid for ``ttl_s``."""
    if not 0 < ttl_s <= MAX_LIFETIME_S:
        raise ValueError(f"ttl_s must be in 1..{MAX_LIFETIME_S}")
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "aud": node_id,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_s,
        "jti": secrets.token_urlsafe(16),
        "use": use,
        **extra,
    }
    return jwt.encode(claims, private_pem, algorithm=ALGORITHM, headers={"kid": kid})


@dataclass
class UsedTokens:
    """The ``jti``s already admitted, each remembered until its token expires (then forgotten).

    Its size is bounded by the issue rate times :data:`MAX_LIFETIME_S`, because tokens that would
    outlive that are refused before they get here.
    """

    _expiry: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._expiry)

    def claim(self, jti: str, expires_at: float, now: float) -> bool:
        """Record ``jti`` as used; False when it was used already (a replay)."""
        self._forget_expired(now)
        if jti in self._expiry:
            return False
        self._expiry[jti] = expires_at + LEEWAY_S
        return True

    def _forget_expired(self, now: float) -> None:
        stale = [jti for jti, until in self._expiry.items() if until <= now]
        for jti in stale:
            del self._expiry[jti]


class VoiceTokenVerifier:
    """Checks voice tokens for one node: signature, issuer, audience, lifetime, single use."""

    def __init__(self, jwks: dict[str, Any] | str, node_id: str) -> None:
        document = json.loads(jwks) if isinstance(jwks, str) else jwks
        keys = jwt.PyJWKSet.from_dict(document)
        self._keys = {key.key_id: key for key in keys.keys if key.key_id}
        if not self._keys:
            raise ValueError("the voice JWKS holds no key with a kid")
        self.node_id = node_id
        self.used = UsedTokens()

    def verify(self, token: str, now: float | None = None) -> VoiceGrant:
        """The grant a token carries; :class:`Unauthorized` for any token this node must refuse."""
        at = time.time() if now is None else now
        claims = self._decode(token, at)
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > MAX_LIFETIME_S or claims.get("use") != VOICE_USE:
            raise Unauthorized("This is not a voice token.", code="invalid_voice_token")
        try:
            grant = VoiceGrant(
                user_id=str(claims["sub"]),
                guild_id=str(claims.get("guild_id", "")),
                channel_id=str(claims.get("channel_id", "")),
                node_id=self.node_id,
                server_mute=claims.get("server_mute") is True,
                server_deaf=claims.get("server_deaf") is True,
                jti=str(claims["jti"]),
                expires_at=float(claims["exp"]),
            )
        except ValueError as exc:
            raise Unauthorized("Malformed voice token.", code="invalid_voice_token") from exc
        if not self.used.claim(grant.jti, grant.expires_at, at):
            raise Unauthorized("This voice token was used already.", code="voice_token_reused")
        return grant

    def verify_control(self, token: str, now: float | None = None) -> None:
        """Accept a control-API token for this node once; :class:`Unauthorized` otherwise."""
        at = time.time() if now is None else now
        claims = self._decode(token, at)
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > MAX_LIFETIME_S or claims.get("use") != CONTROL_USE:
            raise Unauthorized("This is not a control token.", code="invalid_control_token")
        if not self.used.claim(str(claims["jti"]), float(claims["exp"]), at):
            raise Unauthorized("This control token was used already.", code="token_reused")

    def _decode(self, token: str, at: float) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthorized("Unknown voice token key.", code="invalid_voice_token")
            # PyJWT checks exp/nbf/iat against its own clock; ours is checked below instead,
            # so that tests (and the replay memory) share one notion of now.
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self.node_id,
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "nbf", "jti", "sub", "aud", "iss"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("This voice token is for another node.", code="wrong_node") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid voice token.", code="invalid_voice_token") from exc
        times = [claims[name] for name in ("exp", "iat", "nbf")]
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times):
            raise Unauthorized("Malformed voice token.", code="invalid_voice_token")
        if float(claims["exp"]) + LEEWAY_S <= at:
            raise Unauthorized("This voice token has expired.", code="voice_token_expired")
        if float(claims["nbf"]) - LEEWAY_S > at:
            raise Unauthorized("This voice token is not valid yet.", code="invalid_voice_token")
        return claims
