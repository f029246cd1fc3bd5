"""The whole auth flow through the running local stack and the real template.yaml:
register → login → /users/@me through the emulated JWT authorizer → the gateway with ?token=."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest

from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def _tampered(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "1"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


async def test_register_login_me_and_gateway(parley_stack: StackProcess) -> None:
    http = f"{parley_stack.info['http_url']}/api/v1"
    ws_url = parley_stack.info["ws_url"]
    async with aiohttp.ClientSession() as session:
        body = {"username": "Wendy", "email": "wendy@example.com", "password": PASSWORD}
        async with session.post(f"{http}/auth/register", json=body) as response:
            assert response.status == 201
            registered = await response.json()
        async with session.post(
            f"{http}/auth/login", json={"login": "WENDY", "password": PASSWORD}
        ) as response:
            assert response.status == 200
            assert response.headers["X-RateLimit-Bucket"].startswith("auth.login.")
            login = await response.json()
        assert login["user"]["id"] == registered["user"]["id"]
        token = login["access_token"]

        # through API Gateway's JWT authorizer, as the emulator plays it from the template
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(f"{http}/users/@me", headers=headers) as response:
            assert response.status == 200
            me = await response.json()
        assert me["id"] == registered["user"]["id"] and me["username"] == "Wendy"

        async with session.get(f"{http}/users/@me") as response:
            assert response.status == 401
            assert await response.json() == {"message": "Unauthorized"}
            assert response.headers["www-authenticate"].startswith("Bearer")
        tampered = {"Authorization": f"Bearer {_tampered(token)}"}
        async with session.get(f"{http}/users/@me", headers=tampered) as response:
            assert response.status == 401
            assert "signature" in response.headers["www-authenticate"]

        # the gateway: connected with the token, refused without it or with a tampered one
        async with session.ws_connect(f"{ws_url}?token={token}") as ws:
            await ws.send_str(json.dumps({"op": 1, "d": None}))
            assert (await ws.receive_json(timeout=20))["op"] == 11
        for query in ("", "?token=", f"?token={_tampered(token)}", "?token=nonsense"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"{ws_url}{query}")
            assert refused.value.status == 401, query


async def test_refresh_and_logout_through_the_stack(parley_stack: StackProcess) -> None:
    http = f"{parley_stack.info['http_url']}/api/v1"
    async with aiohttp.ClientSession() as session:
        body = {"username": "xavier", "email": "xavier@example.com", "password": PASSWORD}
        async with session.post(f"{http}/auth/register", json=body) as response:
            first = await response.json()
        async with session.post(
            f"{http}/auth/refresh", json={"refresh_token": first["refresh_token"]}
        ) as response:
            assert response.status == 200
            second = await response.json()
        headers = {"Authorization": f"Bearer {second['access_token']}"}
        async with session.get(f"{http}/users/@me", headers=headers) as response:
            assert response.status == 200
        async with session.post(
            f"{http}/auth/logout", json={"refresh_token": second["refresh_token"]}
        ) as response:
            assert response.status == 204
        async with session.post(
            f"{http}/auth/refresh", json={"refresh_token": second["refresh_token"]}
        ) as response:
            assert response.status == 401
            assert (await response.json())["code"] == "refresh_token_revoked"


async def test_the_issuer_is_the_stack_itself(parley_stack: StackProcess) -> None:
    http = f"{parley_stack.info['http_url']}/api/v1"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{http}/.well-known/openid-configuration") as response,
    ):
        document = await response.json()
    assert document["issuer"] == http
    assert document["jwks_uri"] == f"{http}/.well-known/jwks.json"
