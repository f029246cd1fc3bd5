"""A gateway client for tests and benchmarks, following docs/protocol.md's client rule."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from shared.gateway.domain.session import is_new_dispatch


@dataclass
class GatewayClient:
    """One user's gateway session over successive connections."""

    ws_url: str
    token: str
    session: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse | None = None
    session_id: str | None = None
    last_s: int = 0
    dispatches: list[dict[str, Any]] = field(default_factory=list)  # processed, in order
    repeats: int = 0  # log dispatches dropped by the client rule
    other: list[dict[str, Any]] = field(default_factory=list)  # non-dispatch frames
    _inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _reader: asyncio.Task[None] | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None

    async def connect(self) -> None:
        self.closed = asyncio.Event()
        self.close_code = None
        self.ws = await self.session.ws_connect(f"{self.ws_url}?token={self.token}")
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if frame.get("op") == 0:
                if is_new_dispatch(frame["t"], frame["s"], self.last_s):
                    self.dispatches.append(frame)
                    if frame["s"] is not None:
                        self.last_s = max(self.last_s, frame["s"])
                else:
                    self.repeats += 1
            else:
                self.other.append(frame)
            await self._inbox.put(frame)
        self.close_code = ws.close_code
        self.closed.set()

    async def next_frame(self, within: float = 30.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._inbox.get(), within)

    async def wait_for(self, predicate: Any, within: float = 30.0) -> dict[str, Any]:
        """The next frame that satisfies ``predicate`` (others are skipped, still recorded)."""
        deadline = time.monotonic() + within
        while True:
            frame = await self.next_frame(max(0.01, deadline - time.monotonic()))
            if predicate(frame):
                return frame

    async def wait_for_close(self, within: float = 30.0) -> None:
        """Until the server closes this connection (its code is then in ``close_code``)."""
        await asyncio.wait_for(self.closed.wait(), within)

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps(frame))

    async def identify(self) -> dict[str, Any]:
        await self.send({"op": 2, "d": {"token": self.token, "properties": {"os": "test"}}})
        ready = await self.wait_for(lambda f: f.get("t") == "READY")
        self.session_id = ready["d"]["session_id"]
        self.last_s = max(self.last_s, ready["s"])
        return ready

    async def resume(self, within: float = 30.0) -> dict[str, Any]:
        """RESUME on the current connection: RESUMED or INVALID_SESSION, whichever comes."""
        await self.send(
            {"op": 6, "d": {"token": self.token, "session_id": self.session_id, "seq": self.last_s}}
        )
        return await self.wait_for(
            lambda f: f.get("t") == "RESUMED" or f.get("op") in (9, 12), within
        )

    async def heartbeat(self) -> dict[str, Any]:
        await self.send({"op": 1, "d": self.last_s})
        return await self.wait_for(lambda f: f.get("op") == 11)

    async def drop(self) -> None:
        """Cut the connection from the client's side (the session stays resumable)."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
        self._inbox = asyncio.Queue()

    def events(self, t: str) -> list[dict[str, Any]]:
        return [d for d in self.dispatches if d["t"] == t]
