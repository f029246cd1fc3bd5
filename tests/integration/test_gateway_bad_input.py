"""Bad input on the gateway, over real sockets: each gets its documented answer, and the
server keeps serving everyone else (docs/protocol.md, "Errors" and "Limits and close codes")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def error_or_invalid(frame: dict[str, Any]) -> bool:
    return frame.get("op") in (9, 12)


async def test_bad_input_is_answered_and_everyone_else_is_still_served(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice, bob)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    watcher = GatewayClient(parley_stack.info["ws_url"], bob.token, http)
    await watcher.connect()
    await watcher.identify()

    mallory = GatewayClient(parley_stack.info["ws_url"], alice.token, http)
    await mallory.connect()
    assert mallory.ws is not None
    answers: dict[str, dict[str, Any]] = {}
    for name, text in [
        ("malformed", "{not json"),
        ("unknown op", '{"op": 42, "d": null}'),
        ("invalid token", '{"op": 2, "d": {"token": "not-a-jwt", "properties": {}}}'),
        ("someone else's token", f'{{"op": 2, "d": {{"token": "{bob.token}"}}}}'),
        (
            "forged session",
            f'{{"op": 6, "d": {{"token": "{alice.token}", "session_id": "f0", "seq": 0}}}}',
        ),
    ]:
        await mallory.ws.send_str(text)
        answers[name] = await mallory.wait_for(error_or_invalid)

    assert answers["malformed"]["d"]["code"] == "decode_error"
    assert answers["unknown op"]["d"]["code"] == "unknown_op"
    assert answers["invalid token"]["op"] == 12
    assert answers["invalid token"]["d"]["status"] == 401
    assert answers["someone else's token"]["d"]["code"] == "token_mismatch"
    assert answers["forged session"] == {"op": 9, "d": False, "s": None, "t": None}
    # Still open, and still able to identify properly after all that.
    await mallory.identify()
    await mallory.send({"op": 2, "d": {"token": alice.token, "properties": {}}})
    assert (await mallory.wait_for(error_or_invalid))["d"]["code"] == "already_identified"

    # An oversize frame closes that connection only (API Gateway's 32 KB frame limit).
    await mallory.ws.send_str('{"op": 1, "d": "' + "x" * (33 * 1024) + '"}')
    await mallory.wait_for_close()
    assert mallory.close_code == 1009

    # A connection without a valid token is refused at the handshake.
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{parley_stack.info['ws_url']}?token=forged")
    assert refused.value.status in (401, 403)

    # Bob was served throughout.
    await alice.call("POST", f"/channels/{channel}/messages", {"content": "still here"}, 201)
    created = await watcher.wait_for(lambda f: f.get("t") == "MESSAGE_CREATE")
    assert created["d"]["content"] == "still here"
    await watcher.drop()
