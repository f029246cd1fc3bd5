"""Tokens through the routes: JWT authorizer refusals, refresh rotation and reuse, logout, JWKS,
the gateway's REQUEST authorizer, and that no secret is ever logged."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from shared.auth.keyring import KeyRing
from shared.auth.keysource import load_keyring
from shared.auth.tokens import issue_access_token
from shared.config import get_settings
from tests.functional.harness import Api

ME = "/api/v1/users/@me"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def session(api: Api) -> dict:
    return api.register("olivia").json()


def _token_for(user_id: str, **overrides: object) -> str:
    settings = get_settings()
    args: dict = {
        "user_id": int(user_id),
        "issuer": settings.jwt_issuer,
        "audience": settings.jwt_audience,
        "ttl_s": 300,
    }
    args.update(overrides)
    return issue_access_token(load_keyring(settings), **args).token


def test_expired_token_is_refused_by_the_authorizer(api: Api, session: dict) -> None:
    token = _token_for(session["user"]["id"], ttl_s=60, now=time.time() - 600)
    reply = api.request("GET", ME, token=token)
    assert reply.status == 401
    assert reply.json() == {"message": "Unauthorized"}
    assert "expired" in reply.headers["www-authenticate"]


def test_wrong_audience_is_refused(api: Api, session: dict) -> None:
    reply = api.request("GET", ME, token=_token_for(session["user"]["id"], audience="other"))
    assert reply.status == 401 and "audience" in reply.headers["www-authenticate"]


def test_tampered_signature_is_refused(api: Api, session: dict) -> None:
    head, payload, sig = session["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "1"
    reply = api.request("GET", ME, token=f"{head}.{_b64(claims)}.{sig}")
    assert reply.status == 401 and "signature" in reply.headers["www-authenticate"]


def test_alg_none_is_refused(api: Api, session: dict) -> None:
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert api.request("GET", ME, token=unsigned).status == 401


def test_a_foreign_key_is_refused(api: Api, session: dict) -> None:
    settings = get_settings()
    stranger = KeyRing.from_json(KeyRing.new_set_json())
    forged = issue_access_token(
        stranger,
        user_id=int(session["user"]["id"]),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=60,
    ).token
    assert api.request("GET", ME, token=forged).status == 401


def test_refresh_rotates_and_reuse_revokes_the_whole_family(api: Api, session: dict) -> None:
    first = session["refresh_token"]
    rotated = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first})
    assert rotated.status == 200
    body = rotated.json()
    assert body["refresh_token"] != first
    assert body["user"]["id"] == session["user"]["id"]
    assert api.request("GET", ME, token=body["access_token"]).status == 200
    second = body["refresh_token"]
    # the spent token comes back: someone copied it
    reused = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first})
    assert reused.status == 401 and reused.json()["code"] == "refresh_token_reused"
    # ... and the family is gone for its rightful holder too
    after = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": second})
    assert after.status == 401 and after.json()["code"] == "refresh_token_revoked"


def test_other_sessions_survive_a_revoked_family(api: Api, session: dict) -> None:
    other = api.login("olivia").json()["refresh_token"]
    api.request("POST", "/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]})
    api.request("POST", "/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]})
    assert api.request("POST", "/api/v1/auth/refresh", {"refresh_token": other}).status == 200


def test_logout_revokes_the_family(api: Api, session: dict) -> None:
    token = session["refresh_token"]
    out = api.request("POST", "/api/v1/auth/logout", {"refresh_token": token})
    assert out.status == 204
    again = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": token})
    assert again.status == 401 and again.json()["code"] == "refresh_token_revoked"


@pytest.mark.parametrize("token", ["", "garbage", "a" * 22 + "." + "b" * 43])
def test_bad_refresh_tokens_are_4xx(api: Api, token: str) -> None:
    reply = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": token})
    assert reply.status in (400, 401)
    assert "code" in reply.json()


def test_jwks_and_discovery_let_a_verifier_check_tokens(api: Api, session: dict) -> None:
    discovery = api.request("GET", "/api/v1/.well-known/openid-configuration").json()
    assert discovery["issuer"] == get_settings().jwt_issuer
    assert discovery["jwks_uri"] == f"{discovery['issuer']}/.well-known/jwks.json"
    keys = api.request("GET", "/api/v1/.well-known/jwks.json").json()
    assert all(k["kty"] == "RSA" and "d" not in k for k in keys["keys"])
    key = jwt.PyJWKSet.from_dict(keys)[jwt.get_unverified_header(session["access_token"])["kid"]]
    claims = jwt.decode(
        session["access_token"],
        key.key,
        algorithms=["RS256"],
        audience="parley",
        issuer=discovery["issuer"],
    )
    assert claims["sub"] == session["user"]["id"]
    assert {"iss", "aud", "exp", "iat", "jti", "sub"} <= set(claims)


def _connect_event(token: str | None) -> dict:
    query = {"token": token} if token is not None else {}
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:000000000000:abc123/v1/$connect",
        "headers": {},
        "queryStringParameters": query,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "requestId": "r"},
    }


@pytest.fixture
def published_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The authorizer's issuer JWKS: here the ring itself (the stack serves it over HTTP)."""
    from shared.auth import gateway_access as gateway

    monkeypatch.setattr(gateway, "issuer_keys", lambda: load_keyring(get_settings()))


def test_gateway_authorizer_allows_a_valid_token_with_the_user_in_context(
    aws: None, session: dict, published_keys: None
) -> None:
    from tests.functional.harness import _context
    from websocket_routes.authorizer.app import lambda_handler

    policy = lambda_handler(_connect_event(session["access_token"]), _context("Authorizer"))
    assert policy["principalId"] == session["user"]["id"]
    assert policy["context"] == {"user_id": session["user"]["id"]}
    statement = policy["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"][0].endswith("abc123/v1/$connect")


@pytest.mark.parametrize("token", ["", "nope", None])
def test_gateway_authorizer_refuses_bad_tokens_with_unauthorized(
    aws: None, token, published_keys: None
) -> None:
    from shared.auth.gateway_access import ConnectionRefused
    from tests.functional.harness import _context
    from websocket_routes.authorizer.app import lambda_handler

    with pytest.raises(ConnectionRefused) as refused:
        lambda_handler(_connect_event(token), _context("Authorizer"))
    assert str(refused.value) == "Unauthorized"


def test_gateway_authorizer_refuses_the_token_of_an_ended_login(
    api: Api, published_keys: None
) -> None:
    from shared.auth.gateway_access import ConnectionRefused
    from tests.functional.harness import _context
    from websocket_routes.authorizer.app import lambda_handler

    ended = api.register("odile").json()
    live = api.login("odile").json()
    out = api.request("POST", "/api/v1/auth/logout", {"refresh_token": ended["refresh_token"]})
    assert out.status == 204
    with pytest.raises(ConnectionRefused):
        lambda_handler(_connect_event(ended["access_token"]), _context("Authorizer"))
    policy = lambda_handler(_connect_event(live["access_token"]), _context("Authorizer"))
    assert policy["principalId"] == live["user"]["id"]


def test_a_reused_refresh_token_ends_its_login_at_the_gateway_too(
    api: Api, published_keys: None
) -> None:
    from shared.auth.gateway_access import ConnectionRefused
    from tests.functional.harness import _context
    from websocket_routes.authorizer.app import lambda_handler

    first = api.register("pavel").json()
    second = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status == 200
    reused = api.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reused.json()["code"] == "refresh_token_reused"
    with pytest.raises(ConnectionRefused):
        lambda_handler(_connect_event(second.json()["access_token"]), _context("Authorizer"))


def test_no_password_token_or_hash_is_logged(api: Api, capsys) -> None:
    password = "Unmistakable-Secret-42"
    reg = api.register("peggy", password=password).json()
    login = api.login("peggy", password).json()
    refreshed = api.request(
        "POST", "/api/v1/auth/refresh", {"refresh_token": login["refresh_token"]}
    ).json()
    api.request("POST", "/api/v1/auth/refresh", {"refresh_token": login["refresh_token"]})
    api.login("peggy", "wrong password!")
    logged = capsys.readouterr()
    text = logged.out + logged.err
    for secret in [
        password,
        reg["access_token"],
        reg["refresh_token"],
        login["refresh_token"],
        refreshed["access_token"],
        "$2b$",
    ]:
        assert secret not in text
