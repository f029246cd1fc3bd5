"""Voice through the whole local stack over real sockets: gateway op 4 → VOICE_SERVER_UPDATE →
a real media node; the guild sees voice states and speaking; a server mute by REST reaches the
node; a departed session leaves voice; a node killed mid-call moves its room to another node.

The stack runs its media node (``local-1``) and the test a second one (``node-b``), both
heartbeating into the stack's store. Nodes heartbeat every second with a 3 s TTL here, and the
voice watcher runs a pass every second (``--schedule-interval 1``), so a dead node is noticed in
about 3-4 s; the 10 s budget is asserted from the kill to the new VOICE_SERVER_UPDATE.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from media_nodes.aiortc_hooks import restrict_host_addresses
from media_nodes.client import ToneTrack, VoiceClient
from tests.integration.chat import User, guild_with
from tests.integration.conftest import FAR_BUDGETS
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import REPO_ROOT, StackProcess, wait_for

pytestmark = pytest.mark.integration

GRACE_S = 3
NODE_ENV = {"PARLEY_MEDIA_HEARTBEAT_INTERVAL_S": "1", "PARLEY_MEDIA_HEARTBEAT_TTL_S": "3"}


@dataclass
class Node:
    process: subprocess.Popen[bytes] | None
    pid: int
    node_id: str
    endpoint: str


@pytest.fixture(scope="module")
def voice_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("voice")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload", "--schedule-interval", "1"],
        env={
            "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
            "PARLEY_RATE_LOGIN_PER_IP": "100000/60",
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
            "PARLEY_VOICE_WATCH_SPAN_S": "0",
            **FAR_BUDGETS,
            "PARLEY_VOICE_DISCONNECT_GRACE_S": str(GRACE_S),
            **NODE_ENV,
        },
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def second_node(voice_stack: StackProcess) -> Iterator[Node]:
    """``node-b``: another ``parley media-node`` on the stack's store, trusting its voice key."""
    workdir = Path(voice_stack.workdir)
    dynamodb = voice_stack.store_client("dynamodb")
    [table] = dynamodb.list_tables()["TableNames"]
    ready = workdir / "node-b.json"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")},
        **NODE_ENV,
        **voice_stack.store_env(),
        "AWS_DEFAULT_REGION": "us-east-1",
        "PARLEY_TABLE_NAME": table,
    }
    log = (workdir / "node-b.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "media-node",
            "--node-id",
            "node-b",
            "--port",
            "0",
            "--jwks-file",
            str(workdir / "data" / "keys" / "voice-jwks.json"),
            "--ready-file",
            str(ready),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: ready.exists() or process.poll() is not None, 90, "node-b to listen")
        assert process.poll() is None, (workdir / "node-b.log").read_text()
        info = json.loads(ready.read_text())
        yield Node(process, process.pid, info["node_id"], info["endpoint"])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.fixture(autouse=True)
def loopback_media() -> Iterator[None]:
    """This process's clients keep their media on loopback too (the nodes do by default)."""
    restrict_host_addresses(["127.0.0.1"])
    yield
    restrict_host_addresses([])


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def online(user: User) -> GatewayClient:
    client = GatewayClient(user.stack.info["ws_url"], user.token, user.http)
    await client.connect()
    await client.identify()
    return client


def voice_channel(guild: dict[str, Any]) -> str:
    return str(next(c["id"] for c in guild["channels"] if c["type"] == 2))


def server_update(frame: dict[str, Any]) -> bool:
    return frame.get("t") == "VOICE_SERVER_UPDATE" and frame["d"].get("endpoint") is not None


async def granted(client: GatewayClient, within: float = 30) -> dict[str, Any]:
    """The next VOICE_SERVER_UPDATE with an endpoint (an ERROR frame fails the test)."""
    frame = await client.wait_for(lambda f: server_update(f) or f.get("op") == 12, within)
    assert frame.get("op") == 0, frame
    return frame


def state_of(user: User, **wanted: Any) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        if frame.get("t") != "VOICE_STATE_UPDATE" or frame["d"]["user_id"] != user.id:
            return False
        return all(frame["d"].get(k) == v for k, v in wanted.items())

    return match


async def op4(client: GatewayClient, guild: dict[str, Any], channel: str | None) -> None:
    d = {"guild_id": guild["id"], "channel_id": channel, "self_mute": False, "self_deaf": False}
    await client.send({"op": 4, "d": d})


async def hears(
    listener: VoiceClient, speaker: User, packets: int = 25, within_s: float = 20
) -> None:
    start = listener.received[speaker.id]
    await listener.wait_for(
        lambda: listener.received[speaker.id] >= start + packets, within_s, f"{speaker.id}'s audio"
    )


async def test_two_members_join_by_the_gateway_hear_each_other_and_the_guild_sees_it(
    http: aiohttp.ClientSession, voice_stack: StackProcess
) -> None:
    alice, bob, carol = (User.register(voice_stack, http) for _ in range(3))
    guild = await guild_with(alice, bob, carol)
    channel = voice_channel(guild)
    a, b, c = await online(alice), await online(bob), await online(carol)
    voice: list[VoiceClient] = []
    try:
        await op4(a, guild, channel)
        grant_a = await granted(a)
        await c.wait_for(state_of(alice, channel_id=channel))
        await op4(b, guild, channel)
        grant_b = await granted(b)
        await c.wait_for(state_of(bob, channel_id=channel))
        # Each session got its own grant only; both for the room's one node.
        assert [f["d"]["token"] for f in a.events("VOICE_SERVER_UPDATE")] == [grant_a["d"]["token"]]
        assert c.events("VOICE_SERVER_UPDATE") == []
        assert grant_a["d"]["endpoint"] == grant_b["d"]["endpoint"]

        tone = ToneTrack()
        va = VoiceClient(grant_a["d"]["endpoint"], grant_a["d"]["token"], track=tone)
        vb = VoiceClient(grant_b["d"]["endpoint"], grant_b["d"]["token"], track=ToneTrack())
        voice += [va, vb]
        await va.join()
        await vb.join()
        await hears(va, bob)
        await hears(vb, alice)
        # The node's speaking reports reach the guild (carol is not in voice).
        await c.wait_for(state_of(alice, speaking=True))
        tone.loud = False
        await c.wait_for(state_of(alice, speaking=False))

        # A server mute through REST reaches the node: alice stops hearing bob.
        await alice.call("PATCH", f"/guilds/{guild['id']}/members/{bob.id}", {"mute": True}, 200)
        await c.wait_for(state_of(bob, mute=True))
        await asyncio.sleep(0.3)  # packets already in flight may still land
        frozen = va.received[bob.id]
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert va.received[bob.id] == frozen
            await asyncio.sleep(0.05)
        await hears(vb, alice)  # the muted member still hears
    finally:
        for client in voice:
            await client.close()
        for gateway in (a, b, c):
            await gateway.drop()


async def test_a_departed_session_leaves_voice_after_the_grace_period(
    http: aiohttp.ClientSession, voice_stack: StackProcess
) -> None:
    alice, bob = User.register(voice_stack, http), User.register(voice_stack, http)
    guild = await guild_with(alice, bob)
    channel = voice_channel(guild)
    a, b = await online(alice), await online(bob)
    await op4(b, guild, channel)
    grant = await granted(b)
    vb = VoiceClient(grant["d"]["endpoint"], grant["d"]["token"], track=ToneTrack())
    await vb.join()
    try:
        await b.drop()
        dropped = time.monotonic()
        await a.wait_for(state_of(bob, channel_id=None), within=GRACE_S + 30)
        assert time.monotonic() - dropped >= GRACE_S - 0.5  # not before the grace period
        await vb.wait_for(lambda: vb.closed, 15, "the node to disconnect bob")
    finally:
        await vb.close()
        await a.drop()


async def test_a_killed_node_moves_its_room_and_audio_resumes_on_the_other(
    http: aiohttp.ClientSession, voice_stack: StackProcess, second_node: Node
) -> None:
    local = voice_stack.info["media_node"]
    nodes = {
        local["endpoint"]: Node(None, int(local["pid"]), local["node_id"], local["endpoint"]),
        second_node.endpoint: second_node,
    }
    alice, bob = User.register(voice_stack, http), User.register(voice_stack, http)
    guild = await guild_with(alice, bob)
    channel = voice_channel(guild)
    a, b = await online(alice), await online(bob)
    voice: list[VoiceClient] = []
    try:
        await op4(a, guild, channel)
        grant_a = await granted(a)
        await op4(b, guild, channel)
        grant_b = await granted(b)
        va = VoiceClient(grant_a["d"]["endpoint"], grant_a["d"]["token"], track=ToneTrack())
        vb = VoiceClient(grant_b["d"]["endpoint"], grant_b["d"]["token"], track=ToneTrack())
        voice += [va, vb]
        await va.join()
        await vb.join()
        await hears(va, bob)
        await hears(vb, alice)

        doomed = nodes[grant_a["d"]["endpoint"]]
        os.kill(doomed.pid, signal.SIGKILL)
        killed = time.monotonic()
        moved_a = await granted(a)
        moved_b = await granted(b)
        told_within = time.monotonic() - killed
        print(f"clients told of the new node {told_within:.1f} s after the kill")
        assert told_within < 10
        assert moved_a["d"]["endpoint"] == moved_b["d"]["endpoint"] != doomed.endpoint

        for client in voice:
            await client.close()
        va = VoiceClient(moved_a["d"]["endpoint"], moved_a["d"]["token"], track=ToneTrack())
        vb = VoiceClient(moved_b["d"]["endpoint"], moved_b["d"]["token"], track=ToneTrack())
        voice += [va, vb]
        await va.join()
        await vb.join()
        await hears(va, bob)
        await hears(vb, alice)
        print(f"audio resumed {time.monotonic() - killed:.1f} s after the kill")
    finally:
        for client in voice:
            await client.close()
        await a.drop()
        await b.drop()
