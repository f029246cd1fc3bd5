"""Voice tokens: only a fresh, unused token for this node, signed by the voice key, admits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest

from shared.errors import Unauthorized
from shared.voice.voice_tokens import (
    MAX_LIFETIME_S,
    VoiceTokenVerifier,
    generate_voice_keys,
    mint_control_token,
    mint_voice_token,
)

NOW = 1_800_000_000.0
KEYS = generate_voice_keys(kid="k1")


def mint(**overrides):
    args = {
        "kid": KEYS.kid,
        "node_id": "node-a",
        "user_id": "101",
        "guild_id": "202",
        "channel_id": "303",
        "now": NOW,
    }
    args.update(overrides)
    return mint_voice_token(KEYS.private_pem, **args)


def verifier(node_id: str = "node-a") -> VoiceTokenVerifier:
    return VoiceTokenVerifier(KEYS.jwks_json(), node_id=node_id)


def test_a_fresh_token_admits_with_its_claims():
    grant = verifier().verify(mint(server_mute=True), now=NOW + 1)
    assert (grant.user_id, grant.guild_id, grant.channel_id) == ("101", "202", "303")
    assert grant.node_id == "node-a"
    assert grant.server_mute is True
    assert grant.server_deaf is False
    assert grant.expires_at == NOW + 60


def test_wrong_audience_is_refused():
    with pytest.raises(Unauthorized) as err:
        verifier("node-b").verify(mint(), now=NOW)
    assert err.value.code == "wrong_node"


def test_expired_token_is_refused_at_its_edge():
    token = mint(ttl_s=30)
    # Valid up to exp + leeway (5 s), refused from then on.
    verifier().verify(token, now=NOW + 34.9)
    with pytest.raises(Unauthorized) as err:
        verifier().verify(mint(ttl_s=30), now=NOW + 35)
    assert err.value.code == "voice_token_expired"


def test_token_from_the_future_is_refused():
    with pytest.raises(Unauthorized):
        verifier().verify(mint(now=NOW + 60), now=NOW)


def test_reused_token_is_refused_and_forgotten_after_expiry():
    v = verifier()
    token = mint()
    v.verify(token, now=NOW)
    with pytest.raises(Unauthorized) as err:
        v.verify(token, now=NOW + 1)
    assert err.value.code == "voice_token_reused"
    assert len(v.used) == 1
    # Another token a minute later purges the expired jti: the memory stays bounded.
    v.verify(mint(now=NOW + 100), now=NOW + 100)
    assert len(v.used) == 1


def _tamper(token: str, **claims) -> str:
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    new_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{new_body}.{sig}"


def test_tampered_claims_are_refused():
    with pytest.raises(Unauthorized) as err:
        verifier().verify(_tamper(mint(), server_mute=False, sub="999"), now=NOW)
    assert err.value.code == "invalid_voice_token"


def test_token_signed_by_another_key_is_refused():
    other = generate_voice_keys(kid="k1")  # same kid, different key
    token = mint_voice_token(
        other.private_pem,
        kid="k1",
        node_id="node-a",
        user_id="1",
        guild_id="2",
        channel_id="3",
        now=NOW,
    )
    with pytest.raises(Unauthorized):
        verifier().verify(token, now=NOW)


def test_unknown_kid_and_garbage_are_refused():
    with pytest.raises(Unauthorized):
        verifier().verify(mint(kid="nope"), now=NOW)
    with pytest.raises(Unauthorized):
        verifier().verify("not.a.token", now=NOW)
    with pytest.raises(Unauthorized):
        verifier().verify("", now=NOW)


def test_symmetric_algorithm_confusion_is_refused():
    # The classic attack: HS256 "signed" with the public key as the secret.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps({"sub": "1", "aud": "node-a", "iss": "parley", "exp": NOW + 60}).encode())
    secret = json.dumps(KEYS.jwks["keys"][0]).encode()
    sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    with pytest.raises(Unauthorized):
        verifier().verify(f"{head}.{body}.{sig}", now=NOW)


def test_an_access_token_shaped_jwt_is_not_a_voice_token():
    claims = {
        "iss": "parley",
        "aud": "node-a",
        "sub": "101",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 60,
        "jti": "x",
        "guild_id": "2",
        "channel_id": "3",
    }
    token = jwt.encode(claims, KEYS.private_pem, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        verifier().verify(token, now=NOW)


def test_lifetime_is_capped_at_the_edge():
    mint(ttl_s=MAX_LIFETIME_S)
    with pytest.raises(ValueError, match="ttl_s"):
        mint(ttl_s=MAX_LIFETIME_S + 1)


def test_non_snowflake_ids_are_refused():
    with pytest.raises(Unauthorized):
        verifier().verify(mint(channel_id="general"), now=NOW)


def test_control_tokens_are_single_use_and_not_voice_tokens():
    v = verifier()
    control = mint_control_token(KEYS.private_pem, kid="k1", node_id="node-a", now=NOW)
    v.verify_control(control, now=NOW)
    with pytest.raises(Unauthorized):
        v.verify_control(control, now=NOW)
    with pytest.raises(Unauthorized):
        verifier().verify(control, now=NOW)
    with pytest.raises(Unauthorized):
        verifier().verify_control(mint(), now=NOW)
    with pytest.raises(Unauthorized):
        verifier("node-b").verify_control(
            mint_control_token(KEYS.private_pem, kid="k1", node_id="node-a", now=NOW), now=NOW
        )
