"""Ending logins over real sockets: a logout closes the gateway connections of that login only;
logging out everywhere and changing the password close every one of the user's. The stack is
the real template.yaml with its emulated API Gateway, whose @connections DELETE closes the
socket as AWS does."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a different lantern at dusk"
#: How long a close may take to reach the client after the answer (the DELETE is synchronous).
CLOSE_WITHIN_S = 10.0


async def _post(
    http: aiohttp.ClientSession, url: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(
        "PATCH" if url.endswith("/password") else "POST", url, json=body, headers=headers
    ) as response:
        return response.status, (await response.json() if response.content_length else None)


@contextlib.asynccontextmanager
async def _logins(stack: StackProcess, count: int) -> AsyncIterator[list[dict[str, Any]]]:
    """One new user signed in ``count`` times (the first by registering), each login
    identified on a gateway connection of its own: [{"session", "client"}]."""
    api = f"{stack.info['http_url']}/api/v1"
    name = f"s{secrets.token_hex(5)}"
    async with aiohttp.ClientSession() as http:
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        status, first = await _post(http, f"{api}/auth/register", body)
        assert status == 201
        sessions = [first]
        for _ in range(count - 1):
            status, more = await _post(
                http, f"{api}/auth/login", {"login": name, "password": PASSWORD}
            )
            assert status == 200
            sessions.append(more)
        logins = []
        for session in sessions:
            client = GatewayClient(stack.info["ws_url"], session["access_token"], http)
            await client.connect()
            await client.identify()
            logins.append({"session": session, "client": client, "http": http, "api": api})
        try:
            yield logins
        finally:
            for login in logins:
                await login["client"].drop()


async def _refused_at_connect(stack: StackProcess, http: aiohttp.ClientSession, token: str) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{stack.info['ws_url']}?token={token}")
    return refused.value.status


async def test_logout_closes_that_logins_connection_and_no_other(
    parley_stack: StackProcess,
) -> None:
    async with _logins(parley_stack, 2) as (ended, other):
        status, _ = await _post(
            ended["http"],
            f"{ended['api']}/auth/logout",
            {"refresh_token": ended["session"]["refresh_token"]},
        )
        assert status == 204
        await ended["client"].wait_for_close(CLOSE_WITHIN_S)
        assert ended["client"].close_code == 1000
        # the other login's connection is open and answered
        assert (await other["client"].heartbeat())["op"] == 11
        assert not other["client"].closed.is_set()
        # the ended login's access token no longer opens the gateway; the other's does
        token = ended["session"]["access_token"]
        assert await _refused_at_connect(parley_stack, ended["http"], token) == 401
        again = GatewayClient(
            parley_stack.info["ws_url"], other["session"]["access_token"], other["http"]
        )
        await again.connect()
        assert (await again.heartbeat())["op"] == 11
        await again.drop()


async def test_logout_everywhere_closes_every_connection_of_the_user(
    parley_stack: StackProcess,
) -> None:
    async with _logins(parley_stack, 2) as (one, two):
        status, _ = await _post(
            one["http"], f"{one['api']}/auth/logout-all", token=one["session"]["access_token"]
        )
        assert status == 204
        for login in (one, two):
            await login["client"].wait_for_close(CLOSE_WITHIN_S)
            assert login["client"].close_code == 1000
            token = login["session"]["access_token"]
            assert await _refused_at_connect(parley_stack, login["http"], token) == 401


async def test_a_password_change_closes_every_connection_of_the_user(
    parley_stack: StackProcess,
) -> None:
    async with _logins(parley_stack, 2) as (one, two):
        url = f"{one['api']}/users/@me/password"
        token = one["session"]["access_token"]
        wrong = {"password": "not the password at all", "new_password": NEW_PASSWORD}
        status, body = await _post(one["http"], url, wrong, token=token)
        assert status == 403 and body["code"] == "invalid_password"
        assert not one["client"].closed.is_set()
        right = {"password": PASSWORD, "new_password": NEW_PASSWORD}
        status, _ = await _post(one["http"], url, right, token=token)
        assert status == 204
        for login in (one, two):
            await login["client"].wait_for_close(CLOSE_WITHIN_S)
            assert login["client"].close_code == 1000
