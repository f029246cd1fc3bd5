"""The guide's smoke check fails for the faults a deployment has had: an authorizer that refuses
every token (an issuer API Gateway cannot reach), and a gateway that refuses a connection.

A small server on loopback answers as such a deployment does; ``tools/smoke_check.py`` runs as
a deployer runs it, in its own process. (It passing against a working stack is
``test_deploy_guide.py``.)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration


def _deployment(*, authorizer_ok: bool, gateway_ok: bool) -> web.Application:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def register(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "t0ken", "token_type": "Bearer"}, status=201)

    async def me(request: web.Request) -> web.Response:
        if not authorizer_ok:
            return web.json_response({"message": "Unauthorized"}, status=401)
        return web.json_response({"id": "1"})

    async def gateway(request: web.Request) -> web.StreamResponse:
        if not gateway_ok or request.query.get("token") != "t0ken":
            return web.Response(status=403)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            frame = message.json()
            if frame["op"] == 2:
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": {"session_id": "s"}})
            elif frame["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
        return ws

    app = web.Application()
    app.router.add_get("/api/v1/health", health)
    app.router.add_post("/api/v1/auth/register", register)
    app.router.add_get("/api/v1/users/@me", me)
    app.router.add_get("/v1", gateway)
    return app


Serve = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


async def _smoke(address: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "tools/smoke_check.py",
        f"http://{address}",
        f"ws://{address}/v1",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_working_deployment_passes(serve: Serve) -> None:
    address = await serve(_deployment(authorizer_ok=True, gateway_ok=True))
    code, out, err = await _smoke(address)
    assert (code, out.splitlines()[-1]) == (0, "Parley works."), err


async def test_an_authorizer_that_refuses_every_token_fails_the_check(serve: Serve) -> None:
    address = await serve(_deployment(authorizer_ok=False, gateway_ok=True))
    code, out, err = await _smoke(address)
    assert code == 1
    assert "GET /users/@me (the JWT authorizer): 401" in err
    assert "Parley works." not in out


async def test_a_gateway_that_refuses_the_connection_fails_the_check(serve: Serve) -> None:
    address = await serve(_deployment(authorizer_ok=True, gateway_ok=False))
    code, out, err = await _smoke(address)
    assert code == 1
    assert "gateway $connect: 403" in err
    assert "Parley works." not in out
