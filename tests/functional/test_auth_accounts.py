"""Registration, login, profiles: each route and each failure, replayed under moto."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest

from tests.functional.harness import Api

PASSWORD = "correct horse battery"


@pytest.fixture
def no_refill(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The login limits at their default capacities, refilling too slowly to matter: a loaded
    machine that takes seconds over the attempts must not refill a token mid-test."""
    from shared.config import get_settings

    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_IP", "20/36000")
    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_ACCOUNT_IP", "5/36000")
    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_ACCOUNT", "100/36000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_register_answers_201_with_user_and_token_pair(api: Api) -> None:
    reply = api.register("Alice")
    assert reply.status == 201
    body = reply.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    user = body["user"]
    assert user["username"] == "Alice" and user["id"].isdigit()
    assert user["email"] == "Alice@example.com"
    assert reply.headers["cache-control"] == "no-store"
    assert "password" not in str(body) and "$2b$" not in str(body)


@pytest.mark.parametrize(
    "password",
    [
        "x7#Lq!9pAb2",  # 11 characters
        "qwerty123456",  # 12, but on the common-password list
        "passwordpassword",
        "bob@example.com",  # the account's own email
    ],
)
def test_weak_passwords_are_400_with_the_field(api: Api, password: str) -> None:
    reply = api.register("bob", password=password)
    assert reply.status == 400
    assert reply.json()["code"] == "weak_password"
    assert "password" in reply.json()["errors"]


def test_twelve_characters_is_enough_and_long_passphrases_count_in_full(api: Api) -> None:
    assert api.register("bea", password="x7#Lq!9pAb2w").status == 201
    assert api.login("bea", "x7#Lq!9pAb2w").status == 200
    # 84 bytes of UTF-8: bcrypt alone would ignore the end
    phrase = "тихий фонарь над рекой и старый мост у дороги"  # noqa: RUF001
    assert api.register("boris", password=phrase).status == 201
    assert api.login("boris", phrase).status == 200
    assert api.login("boris", phrase[:-1] + "ы").status == 401


def test_duplicate_username_differing_only_in_case_is_409(api: Api) -> None:
    assert api.register("Carol", email="carol1@example.com").status == 201
    reply = api.register("cAROL", email="carol2@example.com")
    assert reply.status == 409
    assert reply.json()["code"] == "username_taken"
    assert reply.json()["errors"] == {"username": "already taken"}


def test_duplicate_email_differing_only_in_case_is_409_and_leaves_nothing(api: Api) -> None:
    assert api.register("dave", email="dave@example.com").status == 201
    reply = api.register("dave2", email="DAVE@Example.com")
    assert reply.status == 409 and reply.json()["code"] == "email_taken"
    # the refused registration did not keep its username either
    assert api.register("dave2", email="dave2@example.com").status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "a", "email": "x@example.com", "password": PASSWORD}, "username"),
        ({"username": "no spaces", "email": "x@example.com", "password": PASSWORD}, "username"),
        ({"username": "erin", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"username": "erin", "email": "x@example.com"}, "body.password"),
    ],
)
def test_bad_registration_input_is_400_with_the_field(api: Api, body: dict, field: str) -> None:
    reply = api.request("POST", "/api/v1/auth/register", body)
    assert reply.status == 400
    assert field in reply.json()["errors"]


def test_non_json_body_is_400(api: Api) -> None:
    reply = api.request("POST", "/api/v1/auth/login", b"{nope")
    assert reply.status == 400
    assert set(reply.json()) >= {"code", "message"}


def test_login_by_username_or_email_case_insensitively(api: Api) -> None:
    user_id = api.register("Frank").json()["user"]["id"]
    for login in ["Frank", "frank", "FRANK@example.com"]:
        reply = api.login(login)
        assert reply.status == 200, login
        assert reply.json()["user"]["id"] == user_id
        assert reply.json()["token_type"] == "Bearer"


def test_unknown_user_and_wrong_password_answer_alike(api: Api) -> None:
    api.register("grace")
    wrong = api.login("grace", "not the password")
    unknown = api.login("nobody-here", "not the password")
    assert wrong.status == unknown.status == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "code": "invalid_credentials",
            "message": "The login or the password is wrong.",
        }
    )


def test_unknown_user_and_wrong_password_take_similar_time(api: Api, monkeypatch) -> None:
    # At a real cost the bcrypt verification dominates; measure at cost 10 to see it.
    from shared.config import get_settings

    api.register("heidi", email="heidi@example.com")
    monkeypatch.setenv("PARLEY_BCRYPT_COST", "10")
    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_ACCOUNT", "100/60")
    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_ACCOUNT_IP", "100/60")
    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_IP", "100/60")
    get_settings.cache_clear()
    try:
        # the account's hash is cost 4; give it a cost-10 one, as a real account would have
        from shared.auth.passwords import hash_password
        from shared.auth.storage.users import UserItem, find_user_id
        from shared.table.keys import user_key

        user_id = find_user_id(username="heidi")
        assert user_id is not None
        item = UserItem.get(*user_key(user_id))
        item.password_hash = hash_password(PASSWORD, 10)
        item.save()

        def timed(login: str) -> float:
            start = time.perf_counter()
            assert api.login(login, "wrong password!").status == 401
            return time.perf_counter() - start

        known = statistics.median(timed("heidi") for _ in range(5))
        unknown = statistics.median(timed("nobody-at-all") for _ in range(5))
    finally:
        get_settings.cache_clear()
    assert 0.5 < known / unknown < 2.0, (known, unknown)


def test_login_limit_per_account_and_caller_allows_5_then_429_with_headers(
    api: Api, no_refill: None
) -> None:
    api.register("ivan")
    attacker = "203.0.113.7"
    for n in range(5):
        reply = api.login("ivan", "wrong password!", source_ip=attacker)
        assert reply.status == 401
        assert reply.headers["x-ratelimit-limit"] == "5"
        assert reply.headers["x-ratelimit-remaining"] == str(4 - n)
        assert reply.headers["x-ratelimit-bucket"] == "auth.login.account.ip"
    refused = api.login("IVAN", PASSWORD, source_ip=attacker)
    assert refused.status == 429
    assert refused.json()["code"] == "rate_limited"
    assert set(refused.json()) == {"code", "message", "errors"}
    assert refused.json()["errors"]["retry_after"] > 0
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-limit"] == "5"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert float(refused.headers["x-ratelimit-reset-after"]) > 0
    assert refused.headers["x-ratelimit-bucket"] == "auth.login.account.ip"
    # another account from the same address is not limited
    api.register("judy")
    assert api.login("judy", source_ip=attacker).status == 200


def test_a_stranger_exhausting_their_bucket_does_not_lock_the_owner_out(
    api: Api, no_refill: None
) -> None:
    api.register("olga")
    for _ in range(5):
        assert api.login("olga", "wrong password!", source_ip="203.0.113.66").status == 401
    assert api.login("olga", "wrong password!", source_ip="203.0.113.66").status == 429
    owner = api.login("olga", source_ip="198.51.100.20")
    assert owner.status == 200, owner.body
    assert owner.headers["x-ratelimit-bucket"] == "auth.login.account.ip"
    assert owner.headers["x-ratelimit-remaining"] == "4"


def test_every_spelling_of_an_account_shares_its_buckets(api: Api, no_refill: None) -> None:
    api.register("Petra", email="petra@example.com")
    spellings = ["Petra", "petra", "PETRA", "petra@example.com", "Petra@EXAMPLE.com"]
    for n, login in enumerate(spellings):
        reply = api.login(login, "wrong password!", source_ip="203.0.113.8")
        assert reply.status == 401, login
        assert reply.headers["x-ratelimit-remaining"] == str(4 - n), login
    refused = api.login(" pEtRa ", "wrong password!", source_ip="203.0.113.8")
    assert refused.status == 429
    assert refused.headers["x-ratelimit-bucket"] == "auth.login.account.ip"


def test_the_account_ceiling_slows_many_callers_without_a_lockout(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.config import Settings, get_settings
    from shared.limits.domain.bucket import BucketState, Rate, take

    monkeypatch.setenv("PARLEY_RATE_LOGIN_PER_ACCOUNT", "3/36000")
    get_settings.cache_clear()
    try:
        api.register("quinn")
        for n in range(3):
            assert api.login("quinn", "wrong password!", source_ip=f"203.0.113.{n}").status == 401
        slowed = api.login("quinn@example.com", source_ip="198.51.100.30")
        assert slowed.status == 429
        assert slowed.headers["x-ratelimit-bucket"] == "auth.login.account"
        assert slowed.headers["x-ratelimit-limit"] == "3"
    finally:
        get_settings.cache_clear()
    # A slow-down, not a lockout: the default ceiling, spent, lets one attempt through every
    # 6 seconds.
    default = Rate.parse(Settings.model_fields["rate_login_per_account"].default)
    spent = take(default, BucketState(tokens=0.0, updated_ms=0), now_ms=0)
    assert not spent.allowed and spent.retry_after_s == 6.0


def test_an_unknown_account_is_limited_like_a_known_one(api: Api, no_refill: None) -> None:
    for n in range(5):
        reply = api.login("nobody-known", "wrong password!", source_ip="203.0.113.9")
        assert reply.status == 401
        assert reply.headers["x-ratelimit-bucket"] == "auth.login.account.ip"
        assert reply.headers["x-ratelimit-remaining"] == str(4 - n)
    assert api.login("nobody-known", source_ip="203.0.113.9").status == 429


def test_login_rate_limit_per_ip_allows_20_then_429(api: Api, no_refill: None) -> None:
    for n in range(20):
        reply = api.login(f"someone{n}", "wrong password!", source_ip="192.0.2.1")
        assert reply.status == 401, n
    refused = api.login("someone-else", "wrong password!", source_ip="192.0.2.1")
    assert refused.status == 429
    assert refused.headers["x-ratelimit-bucket"] == "auth.login.ip"
    assert api.login("someone-else", "wrong password!", source_ip="192.0.2.2").status == 401


def test_register_rate_limit_per_ip_allows_10_then_429(api: Api) -> None:
    for n in range(10):
        reply = api.register(f"user{n}", email=f"user{n}@example.com")
        assert reply.status == 201, n
    refused = api.register("user10", email="user10@example.com")
    assert refused.status == 429
    assert refused.headers["x-ratelimit-bucket"] == "auth.register.ip"


def test_me_and_public_profiles(api: Api) -> None:
    me = api.register("kim").json()
    other = api.register("lee").json()
    token = me["access_token"]
    got = api.request("GET", "/api/v1/users/@me", token=token)
    assert got.status == 200
    assert got.json()["email"] == "kim@example.com"
    public = api.request("GET", f"/api/v1/users/{other['user']['id']}", token=token)
    assert public.status == 200
    assert public.json() == {
        "id": other["user"]["id"],
        "username": "lee",
        "global_name": None,
        "created_at": other["user"]["created_at"],
    }
    assert api.request("GET", "/api/v1/users/123", token=token).status == 404
    bad = api.request("GET", "/api/v1/users/not-an-id", token=token)
    assert bad.status == 400 and bad.json()["code"] == "invalid_id"


def test_patch_me_renames_and_keeps_names_unique(api: Api) -> None:
    token = api.register("mallory").json()["access_token"]
    api.register("niaj")
    renamed = api.request(
        "PATCH", "/api/v1/users/@me", {"username": "Mal", "global_name": "Mal!"}, token=token
    )
    assert renamed.status == 200
    assert renamed.json()["username"] == "Mal" and renamed.json()["global_name"] == "Mal!"
    assert api.login("mal").status == 200
    assert api.login("mallory").status == 401  # the old name is free again
    assert api.register("mallory", email="m2@example.com").status == 201
    taken = api.request("PATCH", "/api/v1/users/@me", {"username": "NIAJ"}, token=token)
    assert taken.status == 409 and taken.json()["code"] == "username_taken"
    bad = api.request("PATCH", "/api/v1/users/@me", {"username": "x"}, token=token)
    assert bad.status == 400


@pytest.mark.parametrize(
    "name",
    [
        "admin\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE
        "a\u2066b",  # LEFT-TO-RIGHT ISOLATE
        "mal\u200blory",  # ZERO WIDTH SPACE
        "\ufeffmallory",  # ZERO WIDTH NO-BREAK SPACE
        "mal\u200dlory",  # ZERO WIDTH JOINER
        "tab\there",
    ],
)
def test_display_names_refuse_invisible_and_direction_characters(api: Api, name: str) -> None:
    token = api.register("olivia").json()["access_token"]
    reply = api.request("PATCH", "/api/v1/users/@me", {"global_name": name}, token=token)
    assert reply.status == 400, reply.body
    assert reply.json()["code"] == "invalid_global_name"
    assert "global_name" in reply.json()["errors"]
    fine = api.request("PATCH", "/api/v1/users/@me", {"global_name": "Olivia é 😀"}, token=token)
    assert fine.status == 200 and fine.json()["global_name"] == "Olivia é 😀"


def test_profiles_need_a_token(api: Api) -> None:
    reply = api.request("GET", "/api/v1/users/@me")
    assert reply.status == 401
    assert reply.json() == {"message": "Unauthorized"}


def test_a_new_display_name_reaches_every_guild_of_the_user(api: Api) -> None:
    from tests.functional.guildkit import StreamTap

    token = api.register("olga").json()["access_token"]
    guild = api.request("POST", "/api/v1/guilds", {"name": "Olga's"}, token=token).json()
    tap = StreamTap()
    tap.read()
    renamed = api.request("PATCH", "/api/v1/users/@me", {"global_name": "Olga!"}, token=token)
    assert renamed.status == 200
    members = [e for e in tap.events() if e["t"] == "GUILD_MEMBER_UPDATE"]
    assert [(e["guild_id"], e["d"]["user"]["global_name"]) for e in members] == [
        (guild["id"], "Olga!")
    ]
    # The same name again changes nothing: the guild hears nothing.
    again = api.request("PATCH", "/api/v1/users/@me", {"global_name": "Olga!"}, token=token)
    assert again.status == 200
    assert [e["t"] for e in tap.events() if e["t"] == "GUILD_MEMBER_UPDATE"] == []
