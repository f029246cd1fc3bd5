"""Packet forwarding: rewrite an inbound Opus packet for one receiver, queue it boundedly, send it.

The payload is never touched (no decode, no re-encode); only the RTP header is rebuilt for the
receiving track: its SSRC and payload type, a sequence number and timestamp continuous across the
sources that track has carried (so a reused track never looks like a huge loss or a clock jump to
the receiver's jitter buffer), the MID and the RFC 6464 audio level copied from the sender so the
receiving browser can show who speaks. Gaps in the source's sequence are kept, so the receiver's
loss statistics stay true.

Each receiving participant has one :class:`Outbox`: a bounded queue drained by one task. A slow or
dead receiver fills its own outbox and new packets to it are dropped and counted; nothing grows
without bound and no other receiver waits.
"""

from __future__ import annotations

import asyncio
import struct
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc.rtp import RtpPacket

__all__ = [
    "DelayHistogram",
    "ForwardStats",
    "InboundStream",
    "OutboundRoute",
    "Outbox",
    "rtp_header",
]

_FIXED = struct.Struct("!BBHII")
_EXT_HEAD = struct.Struct("!HH")
#: 20 ms of Opus at 48 kHz: the gap put between two sources that share a track.
_OPUS_FRAME_TICKS = 960


def rtp_header(
    *,
    payload_type: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    marker: bool,
    extensions: bytes,
) -> bytes:
    """A 12-byte RTP header and, when ``extensions`` (RFC 8285 one-byte elements), its block."""
    if not extensions:
        return _FIXED.pack(0x80, (marker << 7) | payload_type, sequence_number, timestamp, ssrc)
    padded = extensions + b"\x00" * (-len(extensions) % 4)
    return (
        _FIXED.pack(0x90, (marker << 7) | payload_type, sequence_number, timestamp, ssrc)
        + _EXT_HEAD.pack(0xBEDE, len(padded) // 4)
        + padded
    )


@dataclass
class OutboundRoute:
    """One receiving track: where one source's packets go for one participant.

    ``send`` writes one serialized packet (``aiortc_hooks.send_rtp`` bound to the track's sender).
    """

    ssrc: int
    payload_type: int
    send: Callable[[bytes], Awaitable[None]]
    mid: str | None = None
    mid_id: int | None = None
    audio_level_id: int | None = None
    source: str | None = None
    _fresh: bool = True
    _in_ssrc: int = -1
    _seq_offset: int = 0
    _ts_offset: int = 0
    _last_seq: int = 0
    _last_ts: int = 0
    _mid_element: bytes = b""

    def __post_init__(self) -> None:
        if self.mid is not None and self.mid_id is not None:
            raw = self.mid.encode()
            if not 0 < len(raw) <= 16 or not 0 < self.mid_id < 15:
                raise ValueError("a MID must be 1..16 bytes with a one-byte extension id")
            self._mid_element = bytes([(self.mid_id << 4) | (len(raw) - 1)]) + raw
        # Start somewhere arbitrary, as a sender would.
        self._last_seq = int.from_bytes(struct.pack("!I", self.ssrc)[:2], "big") & 0x7FFF
        self._last_ts = self.ssrc ^ 0x5A5A5A5A

    def assign(self, source: str | None) -> None:
        """Carry ``source`` from now on (None: carry nothing)."""
        if source != self.source:
            self.source = source
            self._fresh = True

    def build(self, packet: RtpPacket) -> bytes:
        """The packet as this track sends it: header rewritten, payload untouched."""
        marker = bool(packet.marker)
        if self._fresh or packet.ssrc != self._in_ssrc:
            self._fresh = False
            self._in_ssrc = packet.ssrc
            self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
            self._ts_offset = (self._last_ts + _OPUS_FRAME_TICKS - packet.timestamp) & 0xFFFFFFFF
            marker = True  # the start of a talkspurt, as far as the receiver can tell
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        ts = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        if ((seq - self._last_seq) & 0xFFFF) < 0x8000:
            self._last_seq, self._last_ts = seq, ts
        extensions = self._mid_element
        level = packet.extensions.audio_level
        if level is not None and self.audio_level_id is not None:
            voice, dbov = level
            extensions += bytes([(self.audio_level_id << 4), (voice << 7) | (dbov & 0x7F)])
        header = rtp_header(
            payload_type=self.payload_type,
            sequence_number=seq,
            timestamp=ts,
            ssrc=self.ssrc,
            marker=marker,
            extensions=extensions,
        )
        return header + packet.payload


@dataclass
class DelayHistogram:
    """Fixed-bucket histogram of the time a packet spends in the node (seconds); cheap to feed."""

    bounds: tuple[float, ...] = (
        0.0001,
        0.00025,
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
    )
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus-style ``le`` buckets, cumulative, ending with ``+Inf``."""
        running, out = 0, []
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return out


@dataclass
class ForwardStats:
    """The node's packet counters (plain ints: the forwarding path must stay cheap)."""

    packets_in: int = 0
    bytes_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    dropped_full: int = 0
    dropped_dead: int = 0
    dropped_foreign: int = 0
    lost_closed: int = 0
    delay: DelayHistogram = field(default_factory=DelayHistogram)


@dataclass
class InboundStream:
    """Loss of one sender's stream into the node, from its sequence numbers (RFC 3550 A.3)."""

    received: int = 0
    _base: int | None = None
    _max: int = 0
    _cycles: int = 0

    def add(self, seq: int) -> None:
        self.received += 1
        if self._base is None:
            self._base = self._max = seq
            return
        delta = (seq - self._max) & 0xFFFF
        if 0 < delta < 0x8000:
            if seq < self._max:
                self._cycles += 1 << 16
            self._max = seq

    @property
    def expected(self) -> int:
        if self._base is None:
            return 0
        return self._cycles + self._max - self._base + 1

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.received)


class Outbox:
    """A receiver's bounded queue of packets to send, drained by its own task."""

    def __init__(self, limit: int, stats: ForwardStats) -> None:
        if limit < 1:
            raise ValueError("an outbox holds at least one packet")
        self.limit = limit
        self.stats = stats
        self.dropped = 0
        self._queue: deque[tuple[OutboundRoute, RtpPacket, float]] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._queue)

    def push(self, route: OutboundRoute, packet: RtpPacket, arrived: float) -> None:
        """Queue ``packet`` for ``route``; dropped (and counted) when the outbox is full."""
        if len(self._queue) >= self.limit:
            self.dropped += 1
            self.stats.dropped_full += 1
            return
        self._queue.append((route, packet, arrived))
        if not self._wakeup.is_set():
            self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._drain(), name="outbox")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._queue.clear()

    async def _drain(self) -> None:
        stats, queue, clock = self.stats, self._queue, time.perf_counter
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while queue:
                route, packet, arrived = queue.popleft()
                data = route.build(packet)
                try:
                    await route.send(data)
                except ConnectionError:
                    stats.dropped_dead += 1
                    continue
                stats.packets_out += 1
                stats.bytes_out += len(data)
                stats.delay.observe(clock() - arrived)
