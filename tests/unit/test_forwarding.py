"""Forwarding without sockets: header rewriting, loss counting, the bounded outbox."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from media_nodes.forwarding import ForwardStats, InboundStream, OutboundRoute, Outbox

PAYLOAD = b"\xfc\xff\xfe" + bytes(range(60))


def ext_map(mid_id: int = 3, level_id: int = 7) -> HeaderExtensionsMap:
    m = HeaderExtensionsMap()
    m.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(
                    id=mid_id, uri="urn:ietf:params:rtp-hdrext:sdes:mid"
                ),
                RTCRtpHeaderExtensionParameters(
                    id=level_id, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"
                ),
            ]
        )
    )
    return m


def inbound(seq: int, ts: int, *, ssrc: int = 1111, level=None) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, ssrc=ssrc)
    packet.payload = PAYLOAD
    packet.extensions.audio_level = level
    return packet


async def _no_send(data: bytes) -> None:
    return None


def route(**kw) -> OutboundRoute:
    args = {"ssrc": 0xDEADBEEF, "payload_type": 111, "send": _no_send}
    args.update(kw)
    return OutboundRoute(**args)


def test_rewritten_packet_parses_as_the_receiver_negotiated_it():
    r = route(mid="2", mid_id=3, audio_level_id=7)
    r.assign("alice")
    data = r.build(inbound(500, 48_000, level=(True, 33)))
    parsed = RtpPacket.parse(data, ext_map())
    assert parsed.ssrc == 0xDEADBEEF
    assert parsed.payload_type == 111
    assert parsed.payload == PAYLOAD
    assert parsed.extensions.mid == "2"
    assert parsed.extensions.audio_level == (True, 33)
    assert parsed.marker == 1  # first packet of a source on this track


def test_no_extensions_gives_a_plain_12_byte_header():
    r = route()
    data = r.build(inbound(1, 1))
    assert len(data) == 12 + len(PAYLOAD)
    assert RtpPacket.parse(data).payload == PAYLOAD


def test_gaps_are_kept_and_order_is_continuous():
    r = route()
    r.assign("alice")
    seqs = [RtpPacket.parse(r.build(inbound(s, s * 960))).sequence_number for s in (10, 11, 13)]
    assert (seqs[1] - seqs[0]) & 0xFFFF == 1
    assert (seqs[2] - seqs[1]) & 0xFFFF == 2  # the loss stays visible to the receiver


def test_a_new_source_on_the_same_track_continues_the_sequence_and_clock():
    r = route()
    r.assign("alice")
    last = RtpPacket.parse(r.build(inbound(40_000, 7_000_000)))
    r.assign("bob")
    first = RtpPacket.parse(r.build(inbound(3, 123, ssrc=2222)))
    assert (first.sequence_number - last.sequence_number) & 0xFFFF == 1
    assert (first.timestamp - last.timestamp) & 0xFFFFFFFF == 960
    assert first.marker == 1


def test_sequence_wraps_cleanly():
    r = route()
    r.assign("alice")
    out = [
        RtpPacket.parse(r.build(inbound(s & 0xFFFF, 0))).sequence_number
        for s in range(65534, 65538)
    ]
    assert [(b - a) & 0xFFFF for a, b in itertools.pairwise(out)] == [1, 1, 1]


def test_inbound_loss_counts_gaps_across_a_wrap():
    stream = InboundStream()
    for seq in [65530, 65531, 65533, 65535, 0, 1, 4]:
        stream.add(seq)
    assert stream.expected == 11  # 65530 .. 65535, 0 .. 4
    assert stream.received == 7
    assert stream.lost == 4


def test_inbound_loss_ignores_reordering_and_duplicates():
    stream = InboundStream()
    for seq in [1, 3, 2, 4, 4]:
        stream.add(seq)
    assert stream.lost == 0


@pytest.mark.parametrize("mid", ["", "x" * 17])
def test_route_refuses_a_mid_it_cannot_encode(mid):
    with pytest.raises(ValueError, match="MID"):
        route(mid=mid, mid_id=1)


async def test_a_stalled_receiver_fills_its_outbox_to_the_limit_then_drops():
    stats = ForwardStats()
    gate = asyncio.Event()
    sent: list[bytes] = []

    async def stalled(data: bytes) -> None:
        await gate.wait()
        sent.append(data)

    box = Outbox(limit=8, stats=stats)
    box.start()
    r = route(send=stalled)
    r.assign("alice")
    for seq in range(100):
        box.push(r, inbound(seq, seq * 960), 0.0)
        await asyncio.sleep(0)
    # One packet is in flight (taken from the queue), eight wait, the rest were dropped.
    assert len(box) == 8
    assert box.dropped == stats.dropped_full == 100 - 8 - 1
    gate.set()
    for _ in range(50):
        if len(sent) == 9:
            break
        await asyncio.sleep(0)
    assert len(sent) == 9
    assert stats.packets_out == 9
    await box.close()


async def test_a_dead_receiver_counts_drops_and_keeps_draining():
    stats = ForwardStats()

    async def dead(data: bytes) -> None:
        raise ConnectionError("closed")

    box = Outbox(limit=4, stats=stats)
    box.start()
    r = route(send=dead)
    for seq in range(3):
        box.push(r, inbound(seq, 0), 0.0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert stats.dropped_dead == 3
    assert len(box) == 0
    await box.close()
