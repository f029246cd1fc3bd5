"""`parley media-node` as a process: it starts from its settings, and SIGTERM drains it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from media_nodes.aiortc_hooks import restrict_host_addresses
from media_nodes.client import ToneTrack, VoiceClient
from shared.voice.voice_tokens import generate_voice_keys, mint_voice_token
from tests.integration.stackproc import REPO_ROOT, wait_for

pytestmark = pytest.mark.integration


KEYS = generate_voice_keys(kid="proc")


@pytest.fixture(autouse=True)
def loopback_media() -> Iterator[None]:
    """This process's client keeps its media on loopback too (the node does by default)."""
    restrict_host_addresses(["127.0.0.1"])
    yield
    restrict_host_addresses([])


@pytest.fixture
def node_process(tmp_path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    ready = tmp_path / "ready.json"
    env = {**os.environ, "PARLEY_MEDIA_VOICE_JWKS": KEYS.jwks_json()}
    log_path = tmp_path / "node.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator.cli",
                "media-node",
                "--node-id",
                "proc-node",
                "--port",
                "0",
                "--no-registry",
                "--drain-grace",
                "1",
                "--ready-file",
                str(ready),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: ready.exists() or process.poll() is not None, 60, "the node to listen")
        assert process.poll() is None, log_path.read_text()
        yield process, json.loads(ready.read_text())
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def test_sigterm_tells_clients_to_move_and_exits_cleanly(node_process):
    process, info = node_process
    assert info["node_id"] == "proc-node"
    token = mint_voice_token(
        KEYS.private_pem, kid="proc", node_id="proc-node", user_id="1", guild_id="2", channel_id="3"
    )
    client = VoiceClient(info["endpoint"], token, track=ToneTrack())
    await client.join()
    process.send_signal(signal.SIGTERM)
    await client.wait_for(lambda: {"op": "moving"} in client.messages, 10, "moving")
    await client.wait_for(lambda: client.closed, 10, "the node to close the socket")
    await client.close()
    await client.wait_for(lambda: process.poll() is not None, 20, "the node to exit")
    assert process.returncode == 0


def test_refuses_to_start_without_voice_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_MEDIA_")}
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "media-node", "--port", "0", "--no-registry"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PARLEY_MEDIA_VOICE_JWKS" in result.stderr
