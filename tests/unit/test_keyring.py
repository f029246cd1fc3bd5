"""Key rotation publishes before it signs: the ring's choice of signer at the edges of time."""

from __future__ import annotations

import json

import jwt
import pytest

from shared.auth.keyring import PUBLISH_LEAD_S, RETAIN_S, KeyRing, KeyRingError, new_private_jwk
from shared.auth.tokens import issue_access_token, verify_access_token

T0 = 1_700_000_000  # a fixed "now" (in the past) for the rotations below
ISS = "https://issuer.example.com"
AUD = "parley"


def _set(*entries: dict) -> str:
    return json.dumps({"keys": list(entries)})


@pytest.fixture(scope="module")
def legacy() -> str:
    """A set written before keys had an activation time: two keys, the first signing."""
    return _set(new_private_jwk(), new_private_jwk())


def test_keys_without_an_activation_time_are_active_and_the_first_signs(legacy: str) -> None:
    ring = KeyRing.from_json(legacy)
    assert ring.signer.kid == json.loads(legacy)["keys"][0]["kid"]
    assert all(key.activates_at == 0 for key in ring.keys)


def test_a_rotated_key_is_published_at_once(legacy: str) -> None:
    ring = KeyRing.from_json(KeyRing.rotated_set_json(legacy, now=T0))
    pending = ring.keys[0]
    assert pending.activates_at == T0 + PUBLISH_LEAD_S == T0 + 7200
    assert pending.kid in {key["kid"] for key in ring.jwks()["keys"]}


@pytest.mark.parametrize(
    ("after_s", "signs_with_new"),
    [(0, False), (7199, False), (7199.999, False), (7200, True), (7201, True)],
    ids=["at-rotation", "1:59:59", "1:59:59.999", "2:00:00", "2:00:01"],
)
def test_the_new_key_signs_two_hours_after_it_is_published(
    legacy: str, after_s: float, signs_with_new: bool
) -> None:
    before = KeyRing.from_json(legacy)
    ring = KeyRing.from_json(KeyRing.rotated_set_json(legacy, now=T0))
    pending = ring.keys[0]
    signer = ring.signer_at(T0 + after_s)
    assert signer.kid == (pending.kid if signs_with_new else before.signer.kid)
    # The token carries the signer's kid, and the published set verifies it.
    token = issue_access_token(
        ring, user_id=1, issuer=ISS, audience=AUD, ttl_s=60, now=T0 + after_s
    )
    assert jwt.get_unverified_header(token.token)["kid"] == signer.kid


def test_tokens_are_signed_by_the_key_active_now(legacy: str) -> None:
    """The ring's signer depends on the clock: a set rotated long ago signs with the new key."""
    ring = KeyRing.from_json(KeyRing.rotated_set_json(legacy, now=T0))
    token = issue_access_token(ring, user_id=5, issuer=ISS, audience=AUD, ttl_s=60)
    assert jwt.get_unverified_header(token.token)["kid"] == ring.keys[0].kid
    assert verify_access_token(ring, token.token, issuer=ISS, audience=AUD)["sub"] == "5"


def test_a_second_rotation_keeps_pending_signing_and_recent_keys(legacy: str) -> None:
    first = KeyRing.rotated_set_json(legacy, now=T0)
    ring1 = KeyRing.from_json(first)
    old_signer = KeyRing.from_json(legacy).signer.kid
    # An hour later (the first new key still pending): everything stays.
    ring2 = KeyRing.from_json(KeyRing.rotated_set_json(first, now=T0 + 3600))
    kids2 = [k.kid for k in ring2.keys]
    assert kids2[1:] == [k.kid for k in ring1.keys if k.kid in kids2[1:]]
    assert ring1.keys[0].kid in kids2 and old_signer in kids2
    # The legacy second key retired before anyone knows when: older than a day, so it goes.
    legacy_second = json.loads(legacy)["keys"][1]["kid"]
    assert legacy_second not in kids2


@pytest.mark.parametrize(("after_takeover_s", "kept"), [(RETAIN_S - 1, True), (RETAIN_S, False)])
def test_a_retired_key_verifies_for_a_day_after_its_successor_took_over(
    legacy: str, after_takeover_s: int, kept: bool
) -> None:
    first = KeyRing.rotated_set_json(legacy, now=T0)
    old_signer = KeyRing.from_json(legacy).signer.kid
    took_over = T0 + PUBLISH_LEAD_S
    ring = KeyRing.from_json(KeyRing.rotated_set_json(first, now=took_over + after_takeover_s))
    assert (old_signer in {k.kid for k in ring.keys}) is kept


def test_a_set_of_pending_keys_only_still_signs() -> None:
    ring = KeyRing.from_json(_set(new_private_jwk(activates_at=T0 + 10)))
    assert ring.signer_at(T0).activates_at == T0 + 10


@pytest.mark.parametrize("bad", ["soon", 1.5, True])
def test_a_bad_activation_time_is_refused(bad: object) -> None:
    entry = new_private_jwk()
    entry["activates_at"] = bad
    with pytest.raises(KeyRingError, match="activates_at"):
        KeyRing.from_json(_set(entry))


def test_a_set_of_three_keys_fits_an_advanced_parameter(legacy: str) -> None:
    rotated = KeyRing.rotated_set_json(legacy, now=T0)
    assert len(KeyRing.from_json(rotated).keys) == 2
    third = KeyRing.rotated_set_json(rotated, now=T0 + 60)
    assert len(KeyRing.from_json(third).keys) == 3
    assert len(third.encode()) < 8192
