"""The first real slice, through the real template: health and the gateway heartbeat."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration


async def test_health_answers_with_version_and_store(parley_stack: StackProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{parley_stack.info['http_url']}/api/v1/health") as response,
    ):
        assert response.status == 200
        assert await response.json() == {"status": "ok", "version": "0.1.0", "store": "ok"}


async def test_unknown_route_is_api_gateways_404(parley_stack: StackProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{parley_stack.info['http_url']}/api/v1/no-such-thing") as response,
    ):
        assert response.status == 404
        assert await response.json() == {"message": "Not Found"}


async def test_heartbeat_is_acknowledged_through_connections(
    parley_stack: StackProcess, access_token: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{parley_stack.info['ws_url']}?token={access_token}") as ws,
    ):
        for seq in (None, 1, 2):
            await ws.send_str(json.dumps({"op": 1, "d": seq}))
            reply = await ws.receive_json(timeout=20)
            assert reply == {"op": 11, "d": None, "s": None, "t": None}


async def test_bad_frames_get_error_frames_and_the_session_goes_on(
    parley_stack: StackProcess, access_token: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{parley_stack.info['ws_url']}?token={access_token}") as ws,
    ):
        await ws.send_str("{not json")
        error = await ws.receive_json(timeout=20)
        assert error["op"] == 12
        assert error["d"]["code"] == "decode_error"
        assert error["d"]["status"] == 400
        await ws.send_str(json.dumps({"op": 99}))
        assert (await ws.receive_json(timeout=20))["d"]["code"] == "unknown_op"
        await ws.send_str(json.dumps({"op": 1, "d": None}))
        assert (await ws.receive_json(timeout=20))["op"] == 11
