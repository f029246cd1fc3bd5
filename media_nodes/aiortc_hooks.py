"""The few private aiortc internals the forwarding path relies on, in one place, checked at start.

aiortc has no public hook for encoded media: its receivers always run a jitter buffer and a
decoder thread, and its senders pull frames from a track. An SFU wants neither, so the node
(FINDINGS.md, "the leaner path"):

- replaces each inbound receiver's ``_handle_rtp_packet`` (which ``RTCDtlsTransport`` awaits for
  every SRTP-decrypted, parsed ``RtpPacket`` routed to it) with its own tap: no jitter buffer, no
  decoder, no delay;
- sends with ``RTCDtlsTransport._send_rtp`` (SRTP-protect and send one serialized packet), using
  the SSRC (``RTCRtpSender._ssrc``) and the parameters the sender negotiated, which it captures by
  wrapping the sender's public ``send``;
- gives each sending transceiver a track that never yields, so the sender's own RTP loop sleeps
  instead of polling every 20 ms (its RTCP loop still sends reports and answers NACK/PLI);
- after the node rewrites one of its own offers (the client's payload type and extension ids),
  sets each transceiver's codecs and header extensions (``_codecs``, ``_headerExtensions``) to
  what that offer says: ``createOffer`` resets them to aiortc's defaults, and a receiver or sender
  that starts while the offer is out (DTLS connecting meanwhile) would otherwise be registered with
  Opus 96 and aiortc's extension ids, and drop every packet the client sends with its own.

aiortc is pinned exactly (``aiortc==1.16.0``); :func:`check_internals` raises if an upgrade moved
any of this, and the node calls it before it serves, and a unit test calls it too.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
from collections.abc import Awaitable, Callable

import aioice
import aioice.ice
import aioice.stun
import aiortc
import aiortc.rtcicetransport
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc import sdp as aiortc_sdp
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import RtpPacket
from av.frame import Frame
from av.packet import Packet

__all__ = [
    "AIORTC_VERSION",
    "AUDIO_LEVEL_URI",
    "MID_URI",
    "IdleTrack",
    "InboundTap",
    "check_internals",
    "install_inbound_tap",
    "keep_offered_parameters",
    "on_send_parameters",
    "opus_only",
    "restrict_host_addresses",
    "send_rtp",
    "sender_ssrc",
]

#: The aiortc release these hooks were written against (pyproject pins it exactly).
AIORTC_VERSION = "1.16.0"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"

#: The signature of a tap: one parsed packet and its arrival time (ms, aiortc's clock).
InboundTap = Callable[[RtpPacket, int], Awaitable[None]]


_DEFAULT_HOST_ADDRESSES = aioice.ice.get_host_addresses


class AiortcInternalsMoved(RuntimeError):
    """The installed aiortc no longer has an internal the forwarding path patches."""


def check_internals() -> None:
    """Raise :class:`AiortcInternalsMoved` unless every private hook is where it was in 1.16.0."""
    problems: list[str] = []
    if aiortc.__version__ != AIORTC_VERSION:
        problems.append(f"aiortc is {aiortc.__version__}, the hooks are for {AIORTC_VERSION}")
    handle = getattr(RTCRtpReceiver, "_handle_rtp_packet", None)
    if handle is None or list(inspect.signature(handle).parameters) != [
        "self",
        "packet",
        "arrival_time_ms",
    ]:
        problems.append("RTCRtpReceiver._handle_rtp_packet(packet, arrival_time_ms) moved")
    route = inspect.getsource(RTCDtlsTransport._handle_rtp_data)
    if "_handle_rtp_packet(packet, arrival_time_ms=" not in route:
        problems.append("RTCDtlsTransport._handle_rtp_data no longer calls _handle_rtp_packet")
    send = getattr(RTCDtlsTransport, "_send_rtp", None)
    if send is None or list(inspect.signature(send).parameters) != ["self", "data"]:
        problems.append("RTCDtlsTransport._send_rtp(data) moved")
    if "self._ssrc = " not in inspect.getsource(RTCRtpSender.__init__):
        problems.append("RTCRtpSender._ssrc is no longer set")
    if "await self.__track.recv()" not in inspect.getsource(RTCRtpSender._next_encoded_frame):
        problems.append("RTCRtpSender no longer pulls its track (IdleTrack would not idle it)")
    if list(inspect.signature(RTCRtpSender.send).parameters) != ["self", "parameters"]:
        problems.append("RTCRtpSender.send(parameters) changed")
    offer = inspect.getsource(RTCPeerConnection.createOffer)
    if "transceiver._codecs = " not in offer or "transceiver._headerExtensions = " not in offer:
        problems.append("createOffer no longer resets the transceivers' _codecs/_headerExtensions")
    if "_set_mline_index(" not in offer or not hasattr(RTCRtpTransceiver, "_get_mline_index"):
        problems.append("createOffer no longer numbers the transceivers' m-lines")
    transceiver_init = inspect.getsource(RTCRtpTransceiver.__init__)
    if "self._codecs" not in transceiver_init or "self._headerExtensions" not in transceiver_init:
        problems.append("RTCRtpTransceiver no longer keeps _codecs and _headerExtensions")
    if list(inspect.signature(aioice.ice.Connection.request_received).parameters) != [
        "self",
        "message",
        "addr",
        "protocol",
    ]:
        problems.append("aioice Connection.request_received(message, addr, protocol) changed")
    if "Connection(" not in inspect.getsource(aiortc.rtcicetransport.RTCIceGatherer.__init__):
        problems.append("RTCIceGatherer no longer builds aioice's Connection by that name")
    if "get_host_addresses(" not in inspect.getsource(aioice.ice.Connection.gather_candidates):
        problems.append("aioice no longer gathers host candidates through get_host_addresses")
    if problems:
        raise AiortcInternalsMoved("; ".join(problems))


def restrict_host_addresses(addresses: list[str]) -> None:
    """Gather ICE host candidates on ``addresses`` only (process-wide); [] restores the default.

    aioice offers every non-loopback interface and never 127.0.0.1. A local stack, its tests and
    its benchmarks must keep media on the loopback interface, so they pass ``["127.0.0.1"]``; a
    deployed node passes its public interface's address, or [] for all of them. When every
    address is a loopback one, connectivity checks from other addresses are ignored too: a
    browser also probes from its other interfaces, and answering those would make the node send
    media to a non-loopback address (a peer-reflexive candidate).
    """
    if not addresses:
        aioice.ice.get_host_addresses = _DEFAULT_HOST_ADDRESSES
        vars(aiortc.rtcicetransport)["Connection"] = aioice.Connection
        return
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses
    loopback_only = all(ipaddress.ip_address(a).is_loopback for a in chosen)
    # aiortc's gatherer builds its ICE agent through this module-level name.
    agent = LoopbackConnection if loopback_only else aioice.Connection
    vars(aiortc.rtcicetransport)["Connection"] = agent


class LoopbackConnection(aioice.Connection):
    """An ICE agent that answers connectivity checks from loopback addresses only."""

    def request_received(
        self,
        message: aioice.stun.Message,
        addr: tuple[str, int],
        protocol: aioice.ice.StunProtocol,
    ) -> None:
        if ipaddress.ip_address(addr[0]).is_loopback:
            super().request_received(message, addr, protocol)


def install_inbound_tap(receiver: RTCRtpReceiver, tap: InboundTap) -> None:
    """Route every packet this receiver gets to ``tap`` instead of its jitter buffer/decoder."""

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        await tap(packet, arrival_time_ms)

    # An instance attribute shadows the method for this receiver only.
    vars(receiver)["_handle_rtp_packet"] = handle


def keep_offered_parameters(pc: RTCPeerConnection, offer: aiortc_sdp.SessionDescription) -> None:
    """Make each transceiver's codecs and header extensions those of its m-line in ``offer``.

    Call it after rewriting an offer ``createOffer`` made and before setting it: the receivers and
    senders aiortc starts later read these, and must agree with the SDP the client answers. (A new
    transceiver has no MID until the offer is set; ``createOffer`` gave each its m-line index.)
    """
    for transceiver in pc.getTransceivers():
        index = transceiver._get_mline_index()
        if index is not None and index < len(offer.media):
            media = offer.media[index]
            transceiver._codecs = list(media.rtp.codecs)
            transceiver._headerExtensions = list(media.rtp.headerExtensions)


def on_send_parameters(
    sender: RTCRtpSender, callback: Callable[[RTCRtpSendParameters], None]
) -> None:
    """Call ``callback`` with the parameters the sender is started with (once negotiated)."""
    original = sender.send

    async def send(parameters: RTCRtpSendParameters) -> None:
        callback(parameters)
        await original(parameters)

    vars(sender)["send"] = send


async def send_rtp(sender: RTCRtpSender, data: bytes) -> None:
    """SRTP-protect and send one serialized RTP packet on the sender's (bundled) transport."""
    await sender.transport._send_rtp(data)


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC the sender announced in SDP (forwarded packets must carry it)."""
    return int(sender._ssrc)


def opus_only(kind_capabilities: list[RTCRtpCodecCapability]) -> list[RTCRtpCodecCapability]:
    """Opus alone: the node forwards Opus packets and nothing else."""
    return [c for c in kind_capabilities if c.mimeType.lower() == "audio/opus"]


class IdleTrack(MediaStreamTrack):
    """A track that never yields a frame: it keeps a sender's own RTP loop asleep."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Frame | Packet:
        await self._never
        raise MediaStreamError

    def stop(self) -> None:
        if not self._never.done():
            self._never.cancel()
        super().stop()
