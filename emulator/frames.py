"""API Gateway's 32 KB WebSocket frame limit, enforced before aiohttp parses a frame.

aiohttp limits whole messages only. :class:`FrameSizeGuard` is a sans-I/O scanner of RFC 6455
frame headers: bytes in, "a frame over the limit started" out. :func:`guard_connection` puts it
in front of the connection's WebSocket parser (aiohttp keeps that parser on the request's
protocol; ``tests/integration`` fails loudly if an aiohttp upgrade moves it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

__all__ = ["FrameSizeGuard", "GuardedParser", "guard_connection"]


class FrameSizeGuard:
    """Follows frame boundaries across arbitrary chunks and reports oversized frames."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._header = bytearray()
        self._payload_left = 0
        self.violated = False

    def _header_length(self) -> int | None:
        """The header's full length once its first two bytes are known."""
        if len(self._header) < 2:
            return None
        length7 = self._header[1] & 0x7F
        masked = 4 if self._header[1] & 0x80 else 0
        return 2 + masked + (2 if length7 == 126 else 8 if length7 == 127 else 0)

    def _payload_length(self) -> int:
        length7 = self._header[1] & 0x7F
        if length7 == 126:
            return int.from_bytes(self._header[2:4], "big")
        if length7 == 127:
            return int.from_bytes(self._header[2:10], "big")
        return length7

    def feed(self, data: bytes) -> bool:
        """Scan more bytes; False once a frame over the limit has begun (and from then on)."""
        view = memoryview(data)
        while view and not self.violated:
            if self._payload_left:
                step = min(self._payload_left, len(view))
                self._payload_left -= step
                view = view[step:]
                continue
            if len(self._header) < 2:
                take = min(2 - len(self._header), len(view))
                self._header += view[:take]
                view = view[take:]
                if len(self._header) < 2:
                    return True
            needed = self._header_length()
            assert needed is not None
            take = min(needed - len(self._header), len(view))
            self._header += view[:take]
            view = view[take:]
            if len(self._header) < needed:
                return True
            payload = self._payload_length()
            self._header.clear()
            if payload > self.max_frame_bytes:
                self.violated = True
            self._payload_left = payload
        return not self.violated


class GuardedParser:
    """Delegates to aiohttp's parser until the guard reports a violation; after it, reads and
    drops whatever the peer still sends."""

    def __init__(self, inner: Any, guard: FrameSizeGuard, on_violation: Callable[[], None]) -> None:
        self._inner = inner
        self._guard = guard
        self._on_violation = on_violation
        self._arrived = asyncio.Event()

    async def quiet(self, for_s: float, within_s: float) -> None:
        """Return once the peer has sent nothing for ``for_s`` (or after ``within_s``): closing
        while its oversized message is still arriving would reset the connection, and the
        reset can overtake the close frame on its way to the peer."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while True:
                    self._arrived.clear()
                    try:
                        async with asyncio.timeout(for_s):  # not wait_for: see streams.py
                            await self._arrived.wait()
                    except TimeoutError:
                        return

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._guard.violated:
            self._arrived.set()
            return False, b""
        if not self._guard.feed(data):
            self._on_violation()
            return False, b""
        result: tuple[bool, bytes] = self._inner.feed_data(data)
        return result

    def feed_eof(self) -> None:
        self._inner.feed_eof()


def guard_connection(
    protocol: Any, max_frame_bytes: int, on_violation: Callable[[], None]
) -> GuardedParser:
    """Put a frame-size guard in front of an upgraded connection's WebSocket parser."""
    inner = protocol._payload_parser
    if inner is None or not hasattr(inner, "feed_data"):
        raise RuntimeError("aiohttp moved its WebSocket parser: the frame limit needs a new hook")
    guarded = GuardedParser(inner, FrameSizeGuard(max_frame_bytes), on_violation)
    protocol._payload_parser = guarded
    return guarded
