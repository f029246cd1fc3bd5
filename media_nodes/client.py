"""A reference voice client for a media node, in Python (aiortc): the tests' and the bench's peer.

It speaks the node's signalling exactly as a browser client would (one offer with its microphone,
then answers to the node's renegotiation offers, ``tracks`` telling which user each MID carries),
and sends real Opus over real SRTP. Two ways to send:

- ``track=``: an aiortc audio track (e.g. :class:`ToneTrack`), encoded by aiortc's Opus encoder,
  with the RFC 6464 audio level aiortc computes — the way a real client sends;
- no track: the caller writes pre-encoded Opus payloads with :meth:`VoiceClient.send_opus`, so a
  load generator spends no CPU on encoding.

Received packets are counted per source user through the same inbound tap the node uses (no
jitter buffer, no decoding) unless ``decode=True``, which keeps aiortc's normal receive path so
that a test can prove forwarded packets decode as Opus.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import RtpPacket
from av import AudioFrame

from media_nodes.aiortc_hooks import (
    AUDIO_LEVEL_URI,
    MID_URI,
    IdleTrack,
    install_inbound_tap,
    on_send_parameters,
    send_rtp,
    sender_ssrc,
)
from media_nodes.forwarding import OutboundRoute

__all__ = ["ToneTrack", "VoiceClient"]

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms

PacketObserver = Callable[[str | None, RtpPacket, float], None]


class ToneTrack(MediaStreamTrack):
    """A paced 20 ms mono tone at 48 kHz; ``loud = False`` makes it silence (for speaking tests)."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.5) -> None:
        super().__init__()
        self.loud = True
        self._frequency = frequency
        self._amplitude = amplitude
        self._start: float | None = None
        self._samples = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._samples += FRAME_SAMPLES
            await asyncio.sleep(self._start + self._samples / SAMPLE_RATE - time.monotonic())
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        amplitude = int(32767 * self._amplitude) if self.loud else 0
        step = 2 * math.pi * self._frequency / SAMPLE_RATE
        pcm = bytearray()
        for i in range(FRAME_SAMPLES):
            value = int(amplitude * math.sin(step * (self._samples + i)))
            pcm += value.to_bytes(2, "little", signed=True)
        frame.planes[0].update(bytes(pcm))
        frame.pts = self._samples
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame


class VoiceClient:
    """One participant talking to a media node."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        track: MediaStreamTrack | None = None,
        decode: bool = False,
        on_packet: PacketObserver | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.token = token
        self.track = track
        self.decode = decode
        self.on_packet = on_packet
        self.pc: RTCPeerConnection | None = None
        self.received: Counter[str] = Counter()
        self.tracks: dict[str, str] = {}
        self.speaking: dict[str, bool] = {}
        self.messages: list[dict[str, Any]] = []
        self.offers = 0
        self.remote_tracks: dict[str, MediaStreamTrack] = {}
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._answered = asyncio.Event()
        self._changed = asyncio.Event()
        self._route: OutboundRoute | None = None
        self._seq = 0
        self._ts = 0
        self._tapped: set[int] = set()
        self._frame_readers: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ connect
    async def join(self, within_s: float = 15.0) -> None:
        """Open the signalling socket, offer the microphone, apply the node's answer."""
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(f"{self.endpoint}?token={self.token}")
        self.pc = RTCPeerConnection()
        transceiver = self.pc.addTransceiver(self.track or IdleTrack(), direction="sendonly")
        if self.track is None:
            on_send_parameters(transceiver.sender, self._sending)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._ws.send_json({"op": "offer", "sdp": self.pc.localDescription.sdp})
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._answered.wait(), within_s)

    def _sending(self, parameters: RTCRtpSendParameters) -> None:
        assert self.pc is not None
        sender = self.pc.getTransceivers()[0].sender
        ids = {ext.uri: ext.id for ext in parameters.headerExtensions}
        payload_type = parameters.codecs[0].payloadType
        assert payload_type is not None
        self._route = OutboundRoute(
            ssrc=sender_ssrc(sender),
            payload_type=payload_type,
            send=lambda data: send_rtp(sender, data),
            mid=parameters.muxId,
            mid_id=ids.get(MID_URI),
            audio_level_id=ids.get(AUDIO_LEVEL_URI),
        )
        self._route.assign("self")

    @property
    def can_send(self) -> bool:
        return self._route is not None

    @property
    def next_timestamp(self) -> int:
        """The RTP timestamp :meth:`send_opus` gives its next packet (before the node's rewrite)."""
        return self._ts

    async def send_opus(self, payload: bytes, level: int | None = None) -> None:
        """Send one pre-encoded 20 ms Opus packet (no-track mode)."""
        if self._route is None:
            return
        packet = RtpPacket(payload_type=0, sequence_number=self._seq, timestamp=self._ts, ssrc=1)
        packet.payload = payload
        if level is not None:
            packet.extensions.audio_level = (False, level)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + FRAME_SAMPLES) & 0xFFFFFFFF
        try:
            await self._route.send(self._route.build(packet))
        except ConnectionError:
            return

    # ------------------------------------------------------------ signalling in
    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            self.messages.append(data)
            op = data.get("op")
            if op == "answer":
                await self._apply_answer(data["sdp"])
            elif op == "offer":
                await self._apply_offer(data)
            elif op == "speaking":
                self.speaking[data["user_id"]] = data["speaking"]
            self._changed.set()
        self._changed.set()

    async def _apply_answer(self, sdp: str) -> None:
        assert self.pc is not None
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        self._answered.set()

    async def _apply_offer(self, data: dict[str, Any]) -> None:
        assert self.pc is not None and self._ws is not None
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="offer"))
        self.tracks = dict(data.get("tracks", {}))
        for transceiver in self.pc.getTransceivers()[1:]:
            if id(transceiver) not in self._tapped:
                self._tapped.add(id(transceiver))
                self._watch(transceiver)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self._ws.send_json({"op": "answer", "sdp": self.pc.localDescription.sdp})
        self.offers += 1

    def _watch(self, transceiver: RTCRtpTransceiver) -> None:
        if self.decode:
            track = transceiver.receiver.track
            if track is not None:
                task = asyncio.create_task(self._read_frames(transceiver, track))
                self._frame_readers.add(task)
                task.add_done_callback(self._frame_readers.discard)
            return

        async def tap(packet: RtpPacket, arrival_time_ms: int) -> None:
            user = self.tracks.get(transceiver.mid or "")
            if user is not None:
                self.received[user] += 1
            if self.on_packet is not None:
                self.on_packet(user, packet, time.perf_counter())

        install_inbound_tap(transceiver.receiver, tap)

    async def _read_frames(self, transceiver: RTCRtpTransceiver, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                user = self.tracks.get(transceiver.mid or "")
                if user is not None and isinstance(frame, AudioFrame) and frame.samples > 0:
                    self.received[user] += 1
        except MediaStreamError:
            return

    # ------------------------------------------------------------ controls and waiting
    async def set_state(self, *, self_mute: bool, self_deaf: bool) -> None:
        assert self._ws is not None
        await self._ws.send_json({"op": "state", "self_mute": self_mute, "self_deaf": self_deaf})

    async def wait_for(self, condition: Callable[[], bool], within_s: float, what: str) -> None:
        """Wait (on signalling and a short poll for packets) until ``condition`` holds."""
        deadline = time.monotonic() + within_s
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {within_s:g} s waiting for {what}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    @property
    def closed(self) -> bool:
        return self._ws is None or self._ws.closed

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        if self.pc is not None:
            await self.pc.close()
        if self._http is not None:
            await self._http.close()
