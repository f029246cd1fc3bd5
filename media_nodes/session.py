"""One participant's connection: its signalling WebSocket and its peer connection.

The client offers once (one audio m-line: its microphone); the node answers, then offers every
later change itself: one sendonly track per other participant (a *slot*), reused when someone
leaves so a long call does not grow its SDP without end. Only one node offer is in flight at a
time; changes that arrive meanwhile are folded into the next one. Each node offer carries
``tracks``: which user each MID carries, so the client can tell who it hears.

Packets never pass through aiortc's jitter buffer or decoder (``aiortc_hooks``): the inbound tap
hands each one to the node's forwarder, and each slot's :class:`OutboundRoute` writes rewritten
packets through this participant's bounded :class:`Outbox`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated, Any, Literal

from aiohttp import web
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc import sdp as aiortc_sdp
from aiortc.exceptions import InvalidAccessError, InvalidStateError, OperationError
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import RtpPacket
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from media_nodes.aiortc_hooks import (
    AUDIO_LEVEL_URI,
    MID_URI,
    IdleTrack,
    install_inbound_tap,
    keep_offered_parameters,
    on_send_parameters,
    opus_only,
    send_rtp,
    sender_ssrc,
)
from media_nodes.forwarding import ForwardStats, InboundStream, OutboundRoute, Outbox
from shared.voice.voice_tokens import VoiceGrant

__all__ = ["Session", "SignalError", "parse_signal"]

log = logging.getLogger("parley.media.session")

#: What aiortc raises for SDP it cannot parse or apply (a client's fault, never the node's).
_SDP_ERRORS = (
    ValueError,
    AttributeError,
    LookupError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
)

#: Largest SDP accepted in one message.
MAX_SDP = 200_000


class OfferMessage(BaseModel):
    model_config = ConfigDict(strict=True)

    op: Literal["offer"]
    sdp: str = Field(max_length=MAX_SDP)


class AnswerMessage(BaseModel):
    model_config = ConfigDict(strict=True)

    op: Literal["answer"]
    sdp: str = Field(max_length=MAX_SDP)


class StateMessage(BaseModel):
    """The client's own mute/deafen (server mute/deafen comes only through the control API)."""

    model_config = ConfigDict(strict=True)

    op: Literal["state"]
    self_mute: bool
    self_deaf: bool


Signal = OfferMessage | AnswerMessage | StateMessage
_signal: TypeAdapter[Signal] = TypeAdapter(Annotated[Signal, Field(discriminator="op")])


class SignalError(Exception):
    """A client message the node refuses (answered with an ``error`` message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_signal(text: str) -> Signal:
    """A client's signalling message; :class:`SignalError` when it is not one."""
    try:
        return _signal.validate_json(text)
    except ValidationError as exc:
        raise SignalError("invalid", "Not a signalling message this node understands.") from exc


@dataclass
class Slot:
    """One sendonly track on this participant's connection, carrying one other participant."""

    transceiver: RTCRtpTransceiver
    source: str | None
    route: OutboundRoute | None = None


def _extension_ids(parameters: RTCRtpSendParameters) -> dict[str, int]:
    return {ext.uri: ext.id for ext in parameters.headerExtensions}


class Session:
    """A participant on this node: grant, WebSocket, peer connection, slots and outbox."""

    def __init__(
        self,
        grant: VoiceGrant,
        ws: web.WebSocketResponse,
        *,
        stats: ForwardStats,
        outbox_packets: int,
        on_packet: Callable[[Session, RtpPacket], None],
    ) -> None:
        self.grant = grant
        self.user_id = grant.user_id
        self.channel_id = grant.channel_id
        self.ws = ws
        self.pc = RTCPeerConnection()
        self.outbox = Outbox(outbox_packets, stats)
        self.inbound = InboundStream()
        self.inbound_pt: int | None = None
        #: Ready routes by the source user they carry: the forwarder's per-packet lookup.
        self.routes: dict[str, OutboundRoute] = {}
        self.slots: list[Slot] = []
        self.joined = False
        self.closed = False
        self._on_packet = on_packet
        self._sdp_lock = asyncio.Lock()
        self._offer_in_flight = False
        self._again = False
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Header extension ids by URI, as the client's offer set them (see _align_offer).
        self._extension_ids: dict[str, int] = {}

    # ------------------------------------------------------------ signalling out
    def notify(self, message: dict[str, Any]) -> None:
        """Send a signalling message without waiting (speaking, moving, errors)."""
        if self.ws.closed:
            return
        task = asyncio.create_task(self.send(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, message: dict[str, Any]) -> None:
        """Send a signalling message now (a closing socket is ignored)."""
        if not self.ws.closed:
            try:
                await self.ws.send_json(message)
            except (ConnectionError, RuntimeError):
                log.debug("signalling to %s failed: socket closing", self.user_id)

    # ------------------------------------------------------------ the client's offer
    async def accept_offer(self, sdp: str) -> None:
        """Answer the client's one offer: a single audio m-line, its microphone."""
        if self.joined:
            raise SignalError("unexpected_offer", "Only the first offer comes from the client.")
        try:
            async with self._sdp_lock:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                transceivers = self.pc.getTransceivers()
                if len(transceivers) != 1 or transceivers[0].kind != "audio":
                    raise SignalError("invalid_offer", "Offer exactly one audio m-line.")
                self._prepare_inbound(transceivers[0])
                answer = await self.pc.createAnswer()
                await self.pc.setLocalDescription(answer)
        except _SDP_ERRORS as exc:
            raise SignalError("invalid_offer", "The offer could not be applied.") from exc
        local = self.pc.localDescription
        self.inbound_pt = _opus_payload_type(local.sdp)
        if self.inbound_pt is None:
            raise SignalError("invalid_offer", "The offer has no Opus codec.")
        self._extension_ids = _negotiated_extensions(local.sdp)
        await self.send({"op": "answer", "sdp": local.sdp})
        self.outbox.start()
        self.joined = True

    def _prepare_inbound(self, transceiver: RTCRtpTransceiver) -> None:
        """Take the participant's audio from its receiver: the tap, never the decoder."""
        install_inbound_tap(transceiver.receiver, self._tap)

    async def _tap(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self._on_packet(self, packet)

    # ------------------------------------------------------------ slots and renegotiation
    def sync_slots(self, sources: tuple[str, ...]) -> bool:
        """Give every source a slot and free the slots of those gone; True if SDP must change."""
        wanted = set(sources)
        changed = False
        for slot in self.slots:
            if slot.source is not None and slot.source not in wanted:
                self.routes.pop(slot.source, None)
                slot.source = None
                if slot.route is not None:
                    slot.route.assign(None)
                slot.transceiver.direction = "inactive"
                changed = True
        held = {slot.source for slot in self.slots if slot.source is not None}
        for source in sources:
            if source in held:
                continue
            slot = next((s for s in self.slots if s.source is None), None) or self._new_slot(source)
            slot.source = source
            slot.transceiver.direction = "sendonly"
            if slot.route is not None:
                slot.route.assign(source)
                self.routes[source] = slot.route
            changed = True
        return changed

    def _slot_track(self, source: str) -> MediaStreamTrack:
        """The track a new slot's sender reads: one that never yields (packets bypass it)."""
        return IdleTrack()

    def _new_slot(self, source: str) -> Slot:
        transceiver = self.pc.addTransceiver(self._slot_track(source), direction="sendonly")
        transceiver.setCodecPreferences(opus_only(RTCRtpSender.getCapabilities("audio").codecs))
        slot = Slot(transceiver, None)
        on_send_parameters(transceiver.sender, partial(self._slot_started, slot))
        self.slots.append(slot)
        return slot

    def _slot_started(self, slot: Slot, parameters: RTCRtpSendParameters) -> None:
        ids = _extension_ids(parameters)
        sender = slot.transceiver.sender
        payload_type = parameters.codecs[0].payloadType if parameters.codecs else None
        if payload_type is None:
            log.warning("slot started without a payload type; it stays silent")
            return
        route = OutboundRoute(
            ssrc=sender_ssrc(sender),
            payload_type=payload_type,
            send=partial(send_rtp, sender),
            mid=parameters.muxId or None,
            mid_id=ids.get(MID_URI),
            audio_level_id=ids.get(AUDIO_LEVEL_URI),
        )
        route.assign(slot.source)
        slot.route = route
        if slot.source is not None:
            self.routes[slot.source] = route

    async def renegotiate(self) -> None:
        """Offer the current slots to the client (or fold into the offer already in flight)."""
        if not self.joined or self.closed:
            return
        if self._offer_in_flight:
            self._again = True
            return
        self._offer_in_flight, self._again = True, False
        async with self._sdp_lock:
            offer = await self.pc.createOffer()
            aligned = _align_offer(offer.sdp, self._extension_ids, self.inbound_pt)
            keep_offered_parameters(self.pc, aligned)
            await self.pc.setLocalDescription(RTCSessionDescription(sdp=str(aligned), type="offer"))
        tracks = {
            slot.transceiver.mid: slot.source
            for slot in self.slots
            if slot.source is not None and slot.transceiver.mid is not None
        }
        await self.send({"op": "offer", "sdp": self.pc.localDescription.sdp, "tracks": tracks})

    async def accept_answer(self, sdp: str) -> None:
        """The client's answer to the node's last offer; then the next offer if one is due."""
        if not self._offer_in_flight:
            raise SignalError("unexpected_answer", "No offer from the node is waiting.")
        try:
            async with self._sdp_lock:
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except _SDP_ERRORS as exc:
            raise SignalError("invalid_answer", "The answer could not be applied.") from exc
        finally:
            self._offer_in_flight = False
        if self._again:
            await self.renegotiate()

    # ------------------------------------------------------------ end
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Stop forwarding to and from this participant and release its connection."""
        if self.closed:
            return
        self.closed = True
        self.routes.clear()
        await self.outbox.close()
        await self.pc.close()
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())
        for task in list(self._tasks):
            task.cancel()


def _opus_payload_type(sdp_text: str) -> int | None:
    description = aiortc_sdp.SessionDescription.parse(sdp_text)
    for media in description.media:
        if media.kind == "audio":
            for codec in media.rtp.codecs:
                if codec.mimeType.lower() == "audio/opus":
                    return codec.payloadType
    return None


def _negotiated_extensions(sdp_text: str) -> dict[str, int]:
    description = aiortc_sdp.SessionDescription.parse(sdp_text)
    for media in description.media:
        if media.kind == "audio":
            return {ext.uri: ext.id for ext in media.rtp.headerExtensions}
    return {}


def _align_offer(
    sdp_text: str, extension_ids: dict[str, int], opus_pt: int | None
) -> aiortc_sdp.SessionDescription:
    """The node's offer with the header extension ids and Opus payload type the client chose.

    aiortc builds every offer from its own defaults (mid=1, audio level=2, Opus=96), while a
    browser keeps the ids of its first negotiation and refuses to have them reassigned on a
    BUNDLE transport ("RTP extension ID reassignment not supported"). So the node offers Opus
    alone, under the client's payload type, and only the extensions the client offered, under
    the client's ids.
    """
    description = aiortc_sdp.SessionDescription.parse(sdp_text)
    for media in description.media:
        if media.kind != "audio":
            continue
        media.rtp.headerExtensions = [
            RTCRtpHeaderExtensionParameters(id=extension_ids[ext.uri], uri=ext.uri)
            for ext in media.rtp.headerExtensions
            if ext.uri in extension_ids
        ]
        opus = [c for c in media.rtp.codecs if c.mimeType.lower() == "audio/opus"]
        if opus_pt is not None:
            opus = [replace(c, payloadType=opus_pt) for c in opus]
        media.rtp.codecs = opus
        media.fmt = [c.payloadType for c in opus]
    return description
