"""Ending logins through the routes, under moto: one login (logout), every login (logout
everywhere), and a password change, which needs the current password and ends them all.
Closing gateway connections is proven over real sockets (tests/integration/test_signout.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.functional.harness import Api

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a different lantern at dusk"


def _refresh(api: Api, session: dict[str, Any]) -> Any:
    return api.request("POST", "/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]})


def _change(api: Api, token: str, password: str, new_password: str, **kw: Any) -> Any:
    body = {"password": password, "new_password": new_password}
    return api.request("PATCH", "/api/v1/users/@me/password", body, token=token, **kw)


def test_logout_ends_that_login_only(api: Api) -> None:
    first = api.register("uma").json()
    second = api.login("uma").json()
    out = api.request("POST", "/api/v1/auth/logout", {"refresh_token": first["refresh_token"]})
    assert out.status == 204
    assert _refresh(api, first).json()["code"] == "refresh_token_revoked"
    assert _refresh(api, second).status == 200


def test_logout_everywhere_ends_every_login(api: Api) -> None:
    first = api.register("vera").json()
    second = api.login("vera").json()
    out = api.request("POST", "/api/v1/auth/logout-all", token=second["access_token"])
    assert out.status == 204
    for session in (first, second):
        refused = _refresh(api, session)
        assert refused.status == 401 and refused.json()["code"] == "refresh_token_revoked"
    assert api.login("vera").status == 200  # a new login is a new session


def test_logout_everywhere_needs_a_token(api: Api) -> None:
    reply = api.request("POST", "/api/v1/auth/logout-all")
    assert reply.status == 401


def test_logout_everywhere_ends_logins_made_before_logins_were_kept(api: Api) -> None:
    # A refresh family written by the previous version: no login item under the user.
    from shared.auth.storage.refresh_tokens import RefreshFamilyItem
    from shared.auth.tokens import new_refresh_token
    from shared.table.keys import refresh_family_key

    user = api.register("wanda").json()
    old = new_refresh_token()
    pk, sk = refresh_family_key(old.family)
    RefreshFamilyItem(
        pk=pk,
        sk=sk,
        user_id=int(user["user"]["id"]),
        current_digest=old.digest,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    ).save()
    rotated = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": old.token})
    assert rotated.status == 200
    api.request("POST", "/api/v1/auth/logout-all", token=user["access_token"])
    assert _refresh(api, rotated.json()).json()["code"] == "refresh_token_revoked"


def test_a_password_change_needs_the_current_password(api: Api) -> None:
    session = api.register("xena").json()
    wrong = _change(api, session["access_token"], "not the password at all", NEW_PASSWORD)
    assert wrong.status == 403
    assert wrong.json()["code"] == "invalid_password"
    assert set(wrong.json()) == {"code", "message", "errors"}
    assert "password" in wrong.json()["errors"]
    assert _refresh(api, session).status == 200  # nothing ended
    missing = api.request(
        "PATCH",
        "/api/v1/users/@me/password",
        {"new_password": NEW_PASSWORD},
        token=session["access_token"],
    )
    assert missing.status == 400 and "body.password" in missing.json()["errors"]


def test_a_password_change_holds_the_new_password_to_the_policy(api: Api) -> None:
    token = api.register("yara").json()["access_token"]
    weak = _change(api, token, PASSWORD, "x7#Lq!9pAb2")  # 11 characters
    assert weak.status == 400 and weak.json()["code"] == "weak_password"
    assert _change(api, token, PASSWORD, "x7#Lq!9pAb2w").status == 204  # 12


def test_a_password_change_ends_every_login_and_the_old_password(api: Api) -> None:
    first = api.register("zora").json()
    second = api.login("zora").json()
    assert _change(api, first["access_token"], PASSWORD, NEW_PASSWORD).status == 204
    for session in (first, second):
        assert _refresh(api, session).json()["code"] == "refresh_token_revoked"
    assert api.login("zora", PASSWORD).status == 401
    assert api.login("zora", NEW_PASSWORD).status == 200


def test_guessing_the_current_password_is_limited_like_a_login(api: Api) -> None:
    token = api.register("abel").json()["access_token"]
    for n in range(5):
        reply = _change(api, token, f"wrong guess number {n}", NEW_PASSWORD)
        assert reply.status == 403
        assert reply.headers["x-ratelimit-bucket"] == "auth.login.account.ip"
    refused = _change(api, token, PASSWORD, NEW_PASSWORD)
    assert refused.status == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-remaining"] == "0"
