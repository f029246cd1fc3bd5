"""Voice on the local stack (`parley dev`) for clients nobody configured for it.

The clients here are stock aiortc peers (``RTCPeerConnection()``, aiortc's default
configuration): they gather host candidates on the machine's non-loopback interfaces, never on
loopback, as a browser does. Nothing in this process shapes their ICE agent; the node runs in the
stack's own child process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
