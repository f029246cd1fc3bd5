"""A media node running in the test's own event loop, and what tests do with it."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from media_nodes.client import ToneTrack, VoiceClient
from media_nodes.config import MediaNodeSettings
from media_nodes.node import MediaNode
from media_nodes.registry import MemoryRegistry
from shared.voice.voice_tokens import (
    VoiceTokenVerifier,
    generate_voice_keys,
    mint_control_token,
    mint_voice_token,
)

KEYS = generate_voice_keys(kid="test")
GUILD, CHANNEL = "900", "901"
_users = itertools.count(1000)


class NodeUnderTest:
    def __init__(self, node: MediaNode, registry: MemoryRegistry) -> None:
        self.node = node
        self.registry = registry
        self.clients: list[VoiceClient] = []

    def token(self, user_id: str, channel_id: str = CHANNEL, **flags) -> str:
        return mint_voice_token(
            KEYS.private_pem,
            kid=KEYS.kid,
            node_id=self.node.node_id,
            user_id=user_id,
            guild_id=GUILD,
            channel_id=channel_id,
            **flags,
        )

    async def join(
        self, *, track=None, decode: bool = False, channel_id: str = CHANNEL, **flags
    ) -> tuple[str, VoiceClient]:
        user = str(next(_users))
        client = VoiceClient(
            self.node.endpoint,
            self.token(user, channel_id, **flags),
            track=track if track is not None else ToneTrack(),
            decode=decode,
        )
        self.clients.append(client)
        await client.join()
        return user, client

    async def control(self, method: str, channel_id: str, user_id: str, body=None) -> int:
        token = mint_control_token(KEYS.private_pem, kid=KEYS.kid, node_id=self.node.node_id)
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                method,
                f"{self.node.http_url}/rooms/{channel_id}/members/{user_id}",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ) as response,
        ):
            return response.status


@asynccontextmanager
async def running_node(**overrides: Any) -> AsyncIterator[NodeUnderTest]:
    """A node on an ephemeral loopback port with a memory registry; its clients closed after."""
    registry = MemoryRegistry()
    options: dict[str, Any] = {
        "node_id": "node-test",
        "port": 0,
        "capacity": 8,
        "outbox_packets": 16,
        "heartbeat_interval_s": 0.2,
        "heartbeat_ttl_s": 1.0,
        "drain_grace_s": 2.0,
        "speaking_min_interval_s": 0.05,
    }
    options.update(overrides)
    settings = MediaNodeSettings(**options)
    node = MediaNode(
        settings, verifier=VoiceTokenVerifier(KEYS.jwks_json(), settings.node_id), registry=registry
    )
    await node.start()
    under_test = NodeUnderTest(node, registry)
    try:
        yield under_test
    finally:
        for client in under_test.clients:
            await client.close()
        if not node.draining:
            await node.stop()
