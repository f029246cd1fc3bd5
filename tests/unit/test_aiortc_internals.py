"""The private aiortc internals the forwarding path patches are where 1.16.0 had them.

If an aiortc upgrade moves any of them, these fail loudly (and the node refuses to start):
re-read media_nodes/aiortc_hooks.py against the new release before changing the pin.
"""

from __future__ import annotations

import tomllib

import aiortc
import pytest
from aiortc import RTCCertificate, RTCIceGatherer, RTCIceTransport, RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtp import RtpPacket

from media_nodes import aiortc_hooks
from media_nodes.aiortc_hooks import AiortcInternalsMoved, check_internals, install_inbound_tap
from tests.conftest import REPO_ROOT


def test_the_installed_aiortc_has_every_hook():
    check_internals()


def test_aiortc_is_pinned_exactly_to_the_hooked_release():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    media = project["dependency-groups"]["media"]
    assert f"aiortc=={aiortc_hooks.AIORTC_VERSION}" in media
    assert aiortc.__version__ == aiortc_hooks.AIORTC_VERSION


def test_a_moved_internal_is_reported(monkeypatch):
    monkeypatch.delattr(RTCDtlsTransport, "_send_rtp")
    with pytest.raises(AiortcInternalsMoved, match="_send_rtp"):
        check_internals()


def test_another_version_is_reported(monkeypatch):
    monkeypatch.setattr(aiortc, "__version__", "1.17.0")
    with pytest.raises(AiortcInternalsMoved, match=r"1\.17\.0"):
        check_internals()


async def test_the_tap_receives_packets_from_the_transport_instead_of_the_jitter_buffer():
    """The exact private chain: DTLS transport → RTP router → receiver._handle_rtp_packet."""
    transport = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    receiver = RTCRtpReceiver("audio", transport)
    opus = RTCRtpCodecParameters(
        mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111
    )
    transport._register_rtp_receiver(
        receiver,
        RTCRtpReceiveParameters(
            codecs=[opus], encodings=[RTCRtpDecodingParameters(ssrc=4242, payloadType=111)]
        ),
    )
    seen: list[tuple[int, int]] = []

    async def tap(packet: RtpPacket, arrival_time_ms: int) -> None:
        seen.append((packet.sequence_number, arrival_time_ms))

    install_inbound_tap(receiver, tap)
    packet = RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=4242)
    packet.payload = b"\xfc\x01\x02"
    await transport._handle_rtp_data(packet.serialize(), arrival_time_ms=123)
    assert seen == [(7, 123)]
    await transport.stop()
