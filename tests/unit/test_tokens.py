"""Access tokens: what they carry and every way a bad one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.auth.keyring import PUBLISH_LEAD_S, KeyRing, KeyRingError
from shared.auth.tokens import (
    issue_access_token,
    new_refresh_token,
    parse_refresh_token,
    verify_access_token,
)
from shared.errors import Unauthorized

ISS = "https://api.example.com/api/v1"
AUD = "parley"


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.from_json(KeyRing.new_set_json())


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_token_carries_the_claims_api_gateway_checks(ring: KeyRing) -> None:
    token = issue_access_token(ring, user_id=42, issuer=ISS, audience=AUD, ttl_s=900)
    header = jwt.get_unverified_header(token.token)
    assert header["alg"] == "RS256"
    assert header["kid"] == ring.signer.kid
    claims = verify_access_token(ring, token.token, issuer=ISS, audience=AUD)
    assert claims["sub"] == "42"
    assert claims["iss"] == ISS and claims["aud"] == AUD
    assert claims["exp"] - claims["iat"] == 900
    assert claims["jti"] == token.jti


def test_expired_token_is_refused(ring: KeyRing) -> None:
    old = issue_access_token(
        ring, user_id=1, issuer=ISS, audience=AUD, ttl_s=60, now=time.time() - 120
    )
    with pytest.raises(Unauthorized) as refused:
        verify_access_token(ring, old.token, issuer=ISS, audience=AUD)
    assert refused.value.code == "token_expired"


@pytest.mark.parametrize(("issuer", "audience"), [(ISS, "other"), ("https://evil/api/v1", AUD)])
def test_wrong_audience_or_issuer_is_refused(ring: KeyRing, issuer: str, audience: str) -> None:
    token = issue_access_token(ring, user_id=1, issuer=issuer, audience=audience, ttl_s=60)
    with pytest.raises(Unauthorized):
        verify_access_token(ring, token.token, issuer=ISS, audience=AUD)


def test_tampered_payload_is_refused(ring: KeyRing) -> None:
    token = issue_access_token(ring, user_id=1, issuer=ISS, audience=AUD, ttl_s=60).token
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "2"
    with pytest.raises(Unauthorized):
        verify_access_token(ring, f"{head}.{_b64(claims)}.{sig}", issuer=ISS, audience=AUD)


def test_alg_none_and_hmac_with_the_public_key_are_refused(ring: KeyRing) -> None:
    now = int(time.time())
    claims = {"iss": ISS, "aud": AUD, "sub": "1", "iat": now, "nbf": now, "exp": now + 60}
    claims["jti"] = "x"
    none_token = f"{_b64({'alg': 'none', 'kid': ring.signer.kid})}.{_b64(claims)}."
    with pytest.raises(Unauthorized):
        verify_access_token(ring, none_token, issuer=ISS, audience=AUD)
    public_pem = ring.signer.private_key.public_key().public_bytes(
        encoding=Encoding.PEM, format=PublicFormat.SubjectPublicKeyInfo
    )
    head = _b64({"alg": "HS256", "kid": ring.signer.kid, "typ": "JWT"})
    signing_input = f"{head}.{_b64(claims)}".encode()
    sig = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    forged = f"{head}.{_b64(claims)}.{sig.rstrip(b'=').decode()}"
    with pytest.raises(Unauthorized):
        verify_access_token(ring, forged, issuer=ISS, audience=AUD)


def test_a_key_outside_the_ring_is_refused(ring: KeyRing) -> None:
    stranger = KeyRing.from_json(KeyRing.new_set_json())
    token = issue_access_token(stranger, user_id=1, issuer=ISS, audience=AUD, ttl_s=60)
    with pytest.raises(Unauthorized):
        verify_access_token(ring, token.token, issuer=ISS, audience=AUD)


def test_rotation_keeps_the_previous_key_verifying(ring: KeyRing) -> None:
    first = KeyRing.new_set_json()
    old_ring = KeyRing.from_json(first)
    rotated_at = time.time()
    new_ring = KeyRing.from_json(KeyRing.rotated_set_json(first, now=rotated_at))
    later = new_ring.signer_at(rotated_at + PUBLISH_LEAD_S)
    assert later.kid != old_ring.signer.kid
    assert [k.kid for k in new_ring.keys][1] == old_ring.signer.kid
    old_token = issue_access_token(old_ring, user_id=7, issuer=ISS, audience=AUD, ttl_s=60)
    assert verify_access_token(new_ring, old_token.token, issuer=ISS, audience=AUD)["sub"] == "7"
    assert {k["kid"] for k in new_ring.jwks()["keys"]} == {k.kid for k in new_ring.keys}
    assert all("d" not in k and "activates_at" not in k for k in new_ring.jwks()["keys"])


@pytest.mark.parametrize("text", ["", "{}", '{"keys": []}', '{"keys": [{"kty": "RSA"}]}'])
def test_bad_key_sets_are_refused(text: str) -> None:
    with pytest.raises(KeyRingError):
        KeyRing.from_json(text)


def test_refresh_tokens_parse_and_reject_garbage() -> None:
    token = new_refresh_token()
    assert parse_refresh_token(token.token) == token
    successor = new_refresh_token(token.family)
    assert successor.family == token.family and successor.digest != token.digest
    for bad in ["", "abc", f"{token.family}.", f"{token.family}.short", "x" * 300]:
        with pytest.raises(Unauthorized):
            parse_refresh_token(bad)
