"""Password policy and bcrypt handling, including its 72-byte limit."""

from __future__ import annotations

import pytest

from shared.auth import passwords
from shared.errors import Invalid


@pytest.mark.parametrize(
    "password",
    ["password", "12345678", "qwertyuiop", "iloveyou", "Password1", "short"],
)
def test_weak_and_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check_password_policy(password)
    assert refused.value.code == "weak_password"
    assert "password" in (refused.value.errors or {})


def test_password_equal_to_username_or_email_is_refused() -> None:
    with pytest.raises(Invalid):
        passwords.check_password_policy("Zanzibar-Moon", username="zanzibar-moon")
    with pytest.raises(Invalid):
        passwords.check_password_policy("lunar.owl.77", email="Lunar.Owl.77@example.com")


def test_length_edges_in_characters_and_bytes() -> None:
    passwords.check_password_policy("x7#Lq!9p")  # 8 characters: allowed
    with pytest.raises(Invalid):
        passwords.check_password_policy("x7#Lq!9")  # 7: refused
    passwords.check_password_policy("Zq" * 36)  # 72 bytes: allowed
    with pytest.raises(Invalid):
        passwords.check_password_policy("Zq" * 36 + "z")  # 73 bytes: refused
    with pytest.raises(Invalid):
        passwords.check_password_policy("é" * 37)  # 37 characters but 74 bytes: refused


def test_hash_verifies_and_is_never_truncated() -> None:
    base = "Zq" * 36  # exactly 72 bytes
    hashed = passwords.hash_password(base, cost=4)
    assert hashed.startswith("$2b$04$")
    assert passwords.verify_password(base, hashed)
    assert not passwords.verify_password(base[:-1], hashed)
    # bcrypt alone would accept any suffix past 72 bytes; Parley does not.
    assert not passwords.verify_password(base + "anything", hashed)
    with pytest.raises(Invalid):
        passwords.hash_password(base + "z", cost=4)


def test_unicode_forms_of_one_password_match() -> None:
    composed = "caf\u00e9-Lantern-9"
    decomposed = "cafe\u0301-Lantern-9"
    hashed = passwords.hash_password(composed, cost=4)
    assert passwords.verify_password(decomposed, hashed)
