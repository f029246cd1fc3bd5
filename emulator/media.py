"""The local media node: ``parley dev`` runs one ``parley media-node`` beside the gateway.

It heartbeats into the same store as the functions (the table the template's ``Table`` names),
and trusts the public half of the local voice key (``<data_dir>/keys/voice-jwks.json``, made
once), so the voice tokens the functions mint are accepted. CONTRACT: 127.0.0.1:7000 by default;
``--media-port 0`` (tests) takes any free port; ``--no-media-node`` runs without one.

Its media sockets bind on loopback *and* on every other local address (unless
``PARLEY_MEDIA_ICE_HOST_ADDRESSES`` says otherwise): a stock client (a browser, aiortc with its
defaults) gathers its candidates on the machine's non-loopback interfaces and never on loopback, so
a node offering only 127.0.0.1 gives it no pair that can succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aioice.ice

from media_nodes.config import ENV_PREFIX, SHARED_NAMES
from shared.voice.token_keys import ensure_local_voice_keys

__all__ = ["LocalMediaNode", "MediaNodeFailed", "local_ice_addresses", "node_environment"]

#: The node's id in a local stack (one store per stack, so it is unique there).
LOCAL_NODE_ID = "local-1"


def node_environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the ``PARLEY_*`` names meant for the functions, not the node.

    The stack hands the node the functions' environment (the store, the region, the
    credentials); the node reads its own ``PARLEY_MEDIA_*`` names and the store's table name,
    and nothing else of Parley's, so the rest is left out, as a deployed node never has them.
    """
    return {
        name: value
        for name, value in env.items()
        if not name.startswith("PARLEY_") or name.startswith(ENV_PREFIX) or name in SHARED_NAMES
    }


def local_ice_addresses() -> list[str]:
    """127.0.0.1 and this machine's other addresses: every one a local client may send from."""
    return ["127.0.0.1", *aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True)]


class MediaNodeFailed(ValueError):
    """The local media node did not start (its own output says why)."""


class LocalMediaNode:
    """A ``parley media-node`` child process, started and stopped with the stack."""

    def __init__(self, host: str, port: int, data_dir: Path, env: dict[str, str]) -> None:
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}

    async def start(self, timeout_s: float = 90.0) -> dict[str, Any]:
        jwks = await asyncio.to_thread(ensure_local_voice_keys, self.data_dir)
        ready = self.data_dir / f"media-node-{os.getpid()}.json"
        with contextlib.suppress(FileNotFoundError):
            ready.unlink()
        args = [
            sys.executable,
            "-m",
            "emulator.cli",
            "media-node",
            "--node-id",
            self.env.get("PARLEY_MEDIA_NODE_ID", LOCAL_NODE_ID),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--jwks-file",
            str(jwks),
            "--ready-file",
            str(ready),
            "--drain-grace",
            "1",
        ]
        env = node_environment(self.env)
        env.setdefault(f"{ENV_PREFIX}ICE_HOST_ADDRESSES", json.dumps(local_ice_addresses()))
        self.process = await asyncio.create_subprocess_exec(*args, env=env)
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            if self.process.returncode is not None:
                raise MediaNodeFailed(
                    f"the media node exited ({self.process.returncode}); is port {self.port} "
                    "free? (--media-port, or --no-media-node)"
                )
            if time.monotonic() > deadline:
                raise MediaNodeFailed(
                    f"the media node did not become ready in {timeout_s:g} s: it must listen on "
                    f"port {self.port} and register in the node registry (its output says what "
                    "failed: a 'heartbeat failed' line means the store did not take its record)"
                )
            await asyncio.sleep(0.05)
        self.info = json.loads(ready.read_text())
        self.info["pid"] = self.process.pid
        return self.info

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (the node leaves the registry and drains), then kill if it lingers."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
