"""Password policy and hashing: length in characters, no 72-byte bcrypt cut, guessable ones
refused, hashes made before the pre-hash still verified."""

from __future__ import annotations

import bcrypt
import pytest

from shared.auth import passwords
from shared.errors import Invalid


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "Password1",
        "qwerty123456",  # 12 characters, on the common-password list
        "1qaz2wsx3edc",  # a keyboard walk from the list
        "passwordpassword",
        "aaaaaaaaaaaa",
        "iloveyou1234",
    ],
)
def test_weak_and_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check_password_policy(password)
    assert refused.value.code == "weak_password"
    assert "password" in (refused.value.errors or {})


def test_password_equal_to_username_or_email_is_refused() -> None:
    with pytest.raises(Invalid):
        passwords.check_password_policy("Zanzibar-Moon-77", username="zanzibar-moon-77")
    with pytest.raises(Invalid):
        passwords.check_password_policy("lunar.owl.7734", email="Lunar.Owl.7734@example.com")


def test_twelve_characters_is_the_minimum() -> None:
    passwords.check_password_policy("x7#Lq!9pAb2w")  # 12 characters: allowed
    with pytest.raises(Invalid) as refused:
        passwords.check_password_policy("x7#Lq!9pAb2")  # 11: refused
    assert "12" in (refused.value.errors or {})["password"]


def test_length_counts_characters_not_bytes() -> None:
    passwords.check_password_policy("ключ-от-двери")  # 13 characters, 24 bytes
    with pytest.raises(Invalid):
        passwords.check_password_policy("ключ-от-две")  # 11 characters, 20 bytes


def test_the_longest_password_allowed_and_one_more() -> None:
    longest = ("Quiet-Lantern-" * 20)[: passwords.MAX_PASSWORD_CHARS]
    passwords.check_password_policy(longest)
    with pytest.raises(Invalid) as refused:
        passwords.check_password_policy(longest + "x")
    assert str(passwords.MAX_PASSWORD_CHARS) in (refused.value.errors or {})["password"]


def test_passwords_past_72_bytes_are_allowed_and_every_byte_counts() -> None:
    # bcrypt reads 72 bytes; a passphrase in Cyrillic passes that at 37 characters.
    at_72 = "ж" * 36  # 72 bytes
    at_73 = "Щ" + "ж" * 36  # 74 bytes
    long_phrase = "тихий фонарь над рекой и старый мост у дороги"  # noqa: RUF001 (84 bytes)
    for password in (at_72, at_73, long_phrase):
        hashed = passwords.hash_password(password, cost=4)
        assert passwords.verify_password(password, hashed)
    hashed = passwords.hash_password(long_phrase, cost=4)
    # a change past byte 72 is a different password
    assert not passwords.verify_password(long_phrase[:-1] + "ы", hashed)
    assert not passwords.verify_password(long_phrase + "x", hashed)
    passwords.check_password_policy(long_phrase)


def test_hash_verifies_and_is_never_truncated() -> None:
    base = "Zq" * 36  # exactly 72 bytes
    hashed = passwords.hash_password(base, cost=4)
    assert passwords.verify_password(base, hashed)
    assert not passwords.verify_password(base[:-1], hashed)
    assert not passwords.verify_password(base + "anything", hashed)


def test_hashes_made_before_the_pre_hash_still_verify() -> None:
    legacy = bcrypt.hashpw(b"Old-Style-Secret-9", bcrypt.gensalt(rounds=4)).decode()
    assert passwords.verify_password("Old-Style-Secret-9", legacy)
    assert not passwords.verify_password("Old-Style-Secret-8", legacy)
    # a legacy hash covers 72 bytes only: a longer password never matches it
    long_legacy = bcrypt.hashpw(b"Zq" * 36, bcrypt.gensalt(rounds=4)).decode()
    assert not passwords.verify_password("Zq" * 36 + "anything", long_legacy)


def test_unicode_forms_of_one_password_match() -> None:
    composed = "caf\u00e9-Lantern-9"
    decomposed = "cafe\u0301-Lantern-9"
    hashed = passwords.hash_password(composed, cost=4)
    assert passwords.verify_password(decomposed, hashed)
