"""Signalling without sockets: message parsing, and the node's offers keeping the client's ids."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection
from aiortc import sdp as aiortc_sdp

from media_nodes.aiortc_hooks import keep_offered_parameters
from media_nodes.session import SignalError, _align_offer, parse_signal

AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
MID = "urn:ietf:params:rtp-hdrext:sdes:mid"


def test_known_messages_parse():
    assert parse_signal('{"op": "offer", "sdp": "v=0"}').op == "offer"
    assert parse_signal('{"op": "answer", "sdp": "v=0"}').op == "answer"
    state = parse_signal('{"op": "state", "self_mute": true, "self_deaf": false}')
    assert state.op == "state"
    assert state.self_mute is True


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"op": "dance"}',
        '{"op": "offer"}',
        '{"op": "offer", "sdp": 5}',
        '{"op": "state", "self_mute": "yes", "self_deaf": false}',
        '{"op": "offer", "sdp": "' + "x" * 200_001 + '"}',
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(SignalError) as err:
        parse_signal(text)
    assert err.value.code == "invalid"


async def test_node_offers_reuse_the_clients_extension_ids_and_opus_payload_type():
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendonly")
    pc.addTransceiver("audio", direction="sendonly")
    offer = await pc.createOffer()  # aiortc's defaults: mid=1, audio level=2, Opus=96
    aligned = str(_align_offer(offer.sdp, {AUDIO_LEVEL: 1, MID: 4}, 111))
    description = aiortc_sdp.SessionDescription.parse(aligned)
    assert len(description.media) == 2
    for media in description.media:
        assert {e.uri: e.id for e in media.rtp.headerExtensions} == {AUDIO_LEVEL: 1, MID: 4}
        assert [(c.mimeType, c.payloadType) for c in media.rtp.codecs] == [("audio/opus", 111)]
        assert media.fmt == [111]
    await pc.close()


async def test_extensions_the_client_did_not_offer_are_left_out():
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendonly")
    offer = await pc.createOffer()
    aligned = str(_align_offer(offer.sdp, {MID: 9}, 109))
    media = aiortc_sdp.SessionDescription.parse(aligned).media[0]
    assert {e.uri: e.id for e in media.rtp.headerExtensions} == {MID: 9}
    await pc.close()


async def test_aiortc_keeps_the_offered_ids_for_receivers_started_while_the_offer_is_out():
    """A receiver that starts between the node's offer and the client's answer (DTLS connecting
    meanwhile) must route the client's payload type and read its extension ids, not aiortc's."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("audio", direction="sendonly")
    offer = await pc.createOffer()  # resets every transceiver to Opus 96, mid=1, level=2
    aligned = _align_offer(offer.sdp, {AUDIO_LEVEL: 1, MID: 4}, 111)
    keep_offered_parameters(pc, aligned)
    for transceiver in pc.getTransceivers():
        assert [c.payloadType for c in transceiver._codecs] == [111]
        assert {e.uri: e.id for e in transceiver._headerExtensions} == {AUDIO_LEVEL: 1, MID: 4}
    await pc.close()
