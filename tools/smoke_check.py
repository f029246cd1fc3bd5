# /// script
# requires-python = ">=3.11"
# dependencies = ["aiohttp>=3.14,<4"]
# ///
"""A deployed Parley, checked as a client uses it (docs/deploy.md, "Check it").

``uv run tools/smoke_check.py <HttpApiUrl> <WebSocketUrl>``: the API answers its health check;
a new throwaway account registers; a protected route accepts its access token (the JWT
authorizer trusts the stack's issuer); the gateway accepts a connection with ``?token=`` and
answers IDENTIFY with READY and a heartbeat with its ACK. Exits 0 when all of it works, 1 with
the step that failed otherwise. The same script checks the local stack (``make dev``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from typing import Any
from urllib.parse import urlencode

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=30)


class CheckFailed(Exception):
    """One step of the check did not answer as a working deployment does."""


async def _json(response: aiohttp.ClientResponse, expect: int, what: str) -> Any:
    text = await response.text()
    if response.status != expect:
        raise CheckFailed(f"{what}: {response.status} (expected {expect}): {text[:300]}")
    return json.loads(text) if text else None


async def _frame(ws: aiohttp.ClientWebSocketResponse, what: str) -> dict[str, Any]:
    message = await ws.receive(timeout=15)
    if message.type is not aiohttp.WSMsgType.TEXT:
        raise CheckFailed(f"{what}: the gateway sent {message.type.name} ({message.extra})")
    frame: dict[str, Any] = json.loads(message.data)
    return frame


async def check(api_url: str, gateway_url: str) -> None:
    """Every step, in order; :class:`CheckFailed` at the first that does not work."""
    api = f"{api_url.rstrip('/')}/api/v1"
    name = f"smoke{secrets.token_hex(5)}"
    account = {
        "username": name,
        "email": f"{name}@example.com",
        "password": secrets.token_urlsafe(18),
    }
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        async with http.get(f"{api}/health") as response:
            health = await _json(response, 200, "GET /health")
        print(f"ok  health: {health}")
        async with http.post(f"{api}/auth/register", json=account) as response:
            token = (await _json(response, 201, "POST /auth/register"))["access_token"]
        print(f"ok  registered {name}")
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{api}/users/@me", headers=bearer) as response:
            me = await _json(response, 200, "GET /users/@me (the JWT authorizer)")
        print(f"ok  the authorizer accepts its token: user {me['id']}")
        separator = "&" if "?" in gateway_url else "?"
        url = f"{gateway_url}{separator}{urlencode({'token': token})}"
        try:
            ws = await http.ws_connect(url, heartbeat=None)
        except aiohttp.WSServerHandshakeError as exc:
            raise CheckFailed(f"gateway $connect: {exc.status} {exc.message}") from exc
        async with ws:
            await ws.send_json({"op": 2, "d": {"token": token, "properties": {"os": "smoke"}}})
            ready = await _frame(ws, "IDENTIFY")
            while (ready.get("op"), ready.get("t")) != (0, "READY"):
                if ready.get("op") in (9, 12):  # INVALID_SESSION, or an error frame
                    raise CheckFailed(f"IDENTIFY: expected READY, got {ready}")
                ready = await _frame(ws, "IDENTIFY")
            print(f"ok  gateway READY: session {ready['d']['session_id']}")
            await ws.send_json({"op": 1, "d": ready.get("s")})
            while (frame := await _frame(ws, "HEARTBEAT")).get("op") != 11:
                if frame.get("op") != 0:  # events (GUILD_CREATE, ...) may come first
                    raise CheckFailed(f"HEARTBEAT: expected op 11, got {frame}")
            print("ok  gateway HEARTBEAT_ACK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api_url", help="the stack's HttpApiUrl output (or CustomHttpApiUrl)")
    parser.add_argument("gateway_url", help="the stack's WebSocketUrl output")
    args = parser.parse_args(argv)
    try:
        asyncio.run(check(args.api_url, args.gateway_url))
    except (CheckFailed, aiohttp.ClientError, TimeoutError) as exc:
        print(f"FAILED  {exc}", file=sys.stderr)
        return 1
    print("Parley works.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
