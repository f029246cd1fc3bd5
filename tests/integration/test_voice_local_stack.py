"""Voice on the local stack (`parley dev`) for clients nobody configured for it.

The clients here are stock aiortc peers (``RTCPeerConnection()``, aiortc's default
configuration): they gather host candidates on the machine's non-loopback interfaces, never on
loopback, as a browser does. Nothing in this process shapes their ICE agent; the node runs in the
stack's own child process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import aioice
import aiortc.rtcicetransport
import pytest
from aiortc import RTCPeerConnection

from media_nodes.client import ToneTrack, VoiceClient
from tests.integration.chat import User, guild_with
from tests.integration.conftest import FAR_BUDGETS
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess
from tests.integration.test_voice_gateway import online

pytestmark = pytest.mark.integration

STACK_ENV = {
    "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
    "PARLEY_RATE_LOGIN_PER_IP": "100000/60",
    "PARLEY_BCRYPT_COST": "4",
    **FAR_BUDGETS,
}


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("voice-local")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload"],
        env={**STACK_ENV, "PARLEY_DATA_DIR": str(workdir / "data")},
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def join(client: GatewayClient, guild: dict[str, Any]) -> dict[str, Any]:
    """op 4 into the guild's voice channel; its VOICE_SERVER_UPDATE (an op 12 fails the test)."""
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 2)
    d = {"guild_id": guild["id"], "channel_id": channel, "self_mute": False, "self_deaf": False}
    await client.send({"op": 4, "d": d})

    def answer(f: dict[str, Any]) -> bool:
        granted = f.get("t") == "VOICE_SERVER_UPDATE" and f["d"].get("endpoint") is not None
        return granted or f.get("op") == 12

    frame = await client.wait_for(answer)
    assert frame.get("op") == 0, frame
    return frame["d"]


def local_candidates(pc: RTCPeerConnection) -> list[str]:
    transceiver = pc.getTransceivers()[0]
    gatherer = transceiver.sender.transport.transport.iceGatherer
    return [c.ip for c in gatherer.getLocalCandidates()]


async def test_two_stock_aiortc_clients_connect_through_the_local_node_and_hear_each_other(
    http: aiohttp.ClientSession, local_stack: StackProcess
) -> None:
    # aioice's own agent: no address restriction, no policy of the node's.
    assert aiortc.rtcicetransport.Connection is aioice.Connection
    alice, bob = User.register(local_stack, http), User.register(local_stack, http)
    guild = await guild_with(alice, bob)
    a, b = await online(alice), await online(bob)
    voice: list[VoiceClient] = []
    try:
        grant_a = await join(a, guild)
        grant_b = await join(b, guild)
        va = VoiceClient(grant_a["endpoint"], grant_a["token"], track=ToneTrack())
        vb = VoiceClient(grant_b["endpoint"], grant_b["token"], track=ToneTrack())
        voice += [va, vb]
        await va.join()
        await vb.join()
        for client in (va, vb):
            assert client.pc is not None
            # What makes this client a stock one: it offers no loopback candidate.
            assert "127.0.0.1" not in local_candidates(client.pc)
        await va.wait_for(lambda: va.received[bob.id] >= 25, 20, "bob's audio at alice")
        await vb.wait_for(lambda: vb.received[alice.id] >= 25, 20, "alice's audio at bob")
        for client in (va, vb):
            assert client.pc is not None
            assert client.pc.iceConnectionState in ("completed", "connected")
    finally:
        for client in voice:
            await client.close()
        await a.drop()
        await b.drop()


#: Run in every process of the stack below (PYTHONPATH): holds the media node's start back, as
#: aiortc's import does on a loaded machine, so a stack that does not wait for it shows at once.
SLOW_NODE = """
import sys, time
if "media-node" in sys.argv:
    time.sleep(8)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_stack_answers_health_only_once_its_media_node_takes_joins(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_NODE)
    http_port, ws_port = free_port(), free_port()
    stack = StackProcess(
        tmp_path,
        extra_args=["--no-reload", "--http-port", str(http_port), "--ws-port", str(ws_port)],
        env={
            **STACK_ENV,
            "PARLEY_DATA_DIR": str(tmp_path / "data"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(slow), os.environ.get("PYTHONPATH")])),
        },
    )
    starting = asyncio.create_task(asyncio.to_thread(stack.start))
    try:
        health = f"http://127.0.0.1:{http_port}/api/v1/health"
        deadline = time.monotonic() + 150
        while True:  # the first moment the stack says it is healthy
            assert time.monotonic() < deadline, "no health 200 within 150 s"
            assert not starting.done() or starting.exception() is None, "parley dev failed"
            try:
                async with http.get(health, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        break
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
        # Straight away: a new user joins voice, and is granted the stack's own node.
        urls = {"http_url": f"http://127.0.0.1:{http_port}", "ws_url": f"ws://127.0.0.1:{ws_port}/"}
        alice = User.register(StackProcess(tmp_path, info=urls), http)
        guild = await guild_with(alice)
        a = await online(alice)
        try:
            grant = await join(a, guild)
        finally:
            await a.drop()
        await starting
        assert grant["endpoint"] == stack.info["media_node"]["endpoint"]
    finally:
        await starting
        stack.stop()
