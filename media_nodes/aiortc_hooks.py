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
  Opus 96 and aiortc's extension ids, and drop every packet the client sends with its own;
- builds each ICE agent (``aiortc.rtcicetransport.Connection``) as :class:`NodeIceConnection`,
  which binds its host sockets on the configured addresses, in the configured UDP port range,
  and announces the configured public address (aioice has no option for any of it).

aiortc is pinned exactly (``aiortc==1.16.0``); :func:`check_internals` raises if an upgrade moved
any of this, and the node calls it before it serves, and a unit test calls it too.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import ipaddress
import logging
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

import aioice
import aioice.candidate
import aioice.ice
import aioice.mdns
import aioice.stun
import aioice.turn
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

from media_nodes.config import PortRange

__all__ = [
    "AIORTC_VERSION",
    "AUDIO_LEVEL_URI",
    "MID_URI",
    "IcePolicy",
    "IdleTrack",
    "InboundTap",
    "NodeIceConnection",
    "check_internals",
    "install_ice_policy",
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

log = logging.getLogger("parley.media.ice")


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
    gather = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "self.get_component_candidates(" not in gather:
        problems.append("aioice no longer gathers through Connection.get_component_candidates")
    if list(inspect.signature(aioice.ice.Connection.get_component_candidates).parameters) != [
        "self",
        "component",
        "addresses",
        "timeout",
    ]:
        problems.append("aioice Connection.get_component_candidates signature changed")
    component = inspect.getsource(aioice.ice.Connection.get_component_candidates)
    if "self._protocols += host_protocols" not in component or "StunProtocol(" not in component:
        problems.append("aioice no longer keeps host sockets as StunProtocols in _protocols")
    if "for protocol in self._protocols" not in inspect.getsource(
        aioice.ice.Connection._pair_remote_candidate
    ):
        problems.append("aioice no longer pairs remote candidates with Connection._protocols")
    if list(inspect.signature(aioice.ice.Connection.check_start).parameters) != ["self", "pair"]:
        problems.append("aioice Connection.check_start(pair) changed")
    if not all(hasattr(aioice.ice.Connection, m) for m in ("check_state", "check_complete")):
        problems.append("aioice Connection.check_state/check_complete moved")
    if list(inspect.signature(aioice.ice.Connection.add_remote_candidate).parameters) != [
        "self",
        "remote_candidate",
    ]:
        problems.append("aioice Connection.add_remote_candidate(remote_candidate) changed")
    if problems:
        raise AiortcInternalsMoved("; ".join(problems))


@dataclass(frozen=True)
class IcePolicy:
    """Where the node's ICE agent binds its media sockets and what address it announces.

    ``host_addresses``: the local addresses to gather host candidates on (empty: every
    interface, as aioice does by default). ``announced``: the address put in the candidates in
    place of the bound one (a 1:1 NAT's public side, such as EC2's public IPv4). ``ports``: the
    local UDP ports to bind in (the range the firewall opens); None lets the system choose.
    """

    host_addresses: tuple[str, ...] = ()
    announced: str | None = None
    ports: PortRange | None = None

    def __post_init__(self) -> None:
        if self.announced is not None:
            if len(self.host_addresses) != 1:
                raise ValueError("an announced address maps exactly one bound host address")
            bound = ipaddress.ip_address(self.host_addresses[0])
            if ipaddress.ip_address(self.announced).version != bound.version:
                raise ValueError("the announced and the bound address differ in family")

    @property
    def loopback_only(self) -> bool:
        """True when every bound and announced address is a loopback one."""
        named = [*self.host_addresses, *([self.announced] if self.announced else [])]
        return bool(self.host_addresses) and all(ipaddress.ip_address(a).is_loopback for a in named)


def install_ice_policy(policy: IcePolicy | None) -> None:
    """Make every ICE agent aiortc builds in this process follow ``policy`` (None: aioice's own).

    aiortc's gatherer builds its agent through the module-level name
    ``aiortc.rtcicetransport.Connection``; the node process points it at a subclass of aioice's
    ``Connection`` carrying the policy. Only the node process calls this with a policy: a client
    in another process keeps aioice's behaviour untouched.
    """
    if policy is None:
        vars(aiortc.rtcicetransport)["Connection"] = aioice.Connection
        return
    agent = type("NodeIceConnection", (NodeIceConnection,), {"policy": policy})
    vars(aiortc.rtcicetransport)["Connection"] = agent


def restrict_host_addresses(addresses: list[str]) -> None:
    """Gather ICE host candidates on ``addresses`` only (process-wide); [] restores the default.

    A local stack, its tests and its benchmarks keep media on the loopback interface with
    ``["127.0.0.1"]``. When every address is a loopback one, connectivity checks from other
    addresses and remote candidates elsewhere are ignored too: a browser also probes from its
    other interfaces, and answering those would make the node send media to a non-loopback
    address (a peer-reflexive candidate).
    """
    install_ice_policy(IcePolicy(tuple(addresses)) if addresses else None)


class NodeIceConnection(aioice.Connection):
    """aioice's ICE agent, binding and announcing host candidates as :attr:`policy` says.

    aioice (0.13) binds each host candidate to port 0 and announces the bound address, and
    offers no option for either; this agent binds the host sockets itself (a port of the range,
    from a random start so that several node processes on one host rarely collide) and leaves
    server-reflexive and relayed candidates to aioice. The node never asks a STUN server: it
    knows its public address, and aioice's STUN queries start from host sockets only.
    """

    policy: ClassVar[IcePolicy] = IcePolicy()

    async def get_component_candidates(
        self,
        component: int,
        addresses: list[str],
        timeout: int = 5,  # noqa: ASYNC109 - aioice's signature
    ) -> list[aioice.Candidate]:
        policy = self.policy
        candidates: list[aioice.Candidate] = []
        for address in policy.host_addresses or addresses:
            protocol = await self._bind_host(address, policy.ports)
            if protocol is None:
                continue
            port = int(protocol.transport.get_extra_info("sockname")[1])
            host = policy.announced or address
            protocol.local_candidate = aioice.Candidate(
                foundation=aioice.candidate.candidate_foundation("host", "udp", host),
                component=component,
                transport="udp",
                priority=aioice.candidate.candidate_priority(component, "host"),
                host=host,
                port=port,
                type="host",
            )
            self._protocols.append(protocol)
            candidates.append(protocol.local_candidate)
        # No host addresses for aioice: it gathers what is left (a TURN relay, if configured).
        return candidates + await super().get_component_candidates(component, [], timeout)

    async def _bind_host(
        self, address: str, ports: PortRange | None
    ) -> aioice.ice.StunProtocol | None:
        loop = asyncio.get_running_loop()
        if ports is None:
            order = [0]
        else:
            start = random.randrange(len(ports))  # noqa: S311 - spreads binds, no secret
            everything = list(ports)
            order = everything[start:] + everything[:start]
        for port in order:
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: aioice.ice.StunProtocol(self), local_addr=(address, port)
                )
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                log.warning("ICE: cannot bind %s:%d: %s", address, port, exc)
                return None
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_RCVBUF, aioice.turn.UDP_SOCKET_BUFFER_SIZE
                )
            return protocol
        log.warning("ICE: every port of %s is taken on %s", ports, address)
        return None

    def request_received(
        self,
        message: aioice.stun.Message,
        addr: tuple[str, int],
        protocol: aioice.ice.StunProtocol,
    ) -> None:
        if not self.policy.loopback_only or ipaddress.ip_address(addr[0]).is_loopback:
            super().request_received(message, addr, protocol)

    async def add_remote_candidate(self, remote_candidate: aioice.Candidate | None) -> None:
        if (
            remote_candidate is not None
            and self.policy.loopback_only
            and aioice.mdns.is_mdns_hostname(remote_candidate.host)
        ):
            return  # resolving it would ask the local network (multicast)
        await super().add_remote_candidate(remote_candidate)

    async def check_start(self, pair: aioice.ice.CandidatePair) -> None:
        # A remote candidate off the loopback interface stays on the list (aioice drops a
        # component left without any, and gathers nothing for it), but is never probed.
        if self.policy.loopback_only and not _is_loopback(pair.remote_candidate.host):
            self.check_state(pair, aioice.ice.CandidatePair.State.FAILED)
            self.check_complete(pair)
            return
        await super().check_start(pair)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # an mDNS name


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
