"""A media node with real aiortc peers over loopback: join, forward, mute, deafen, speak, drain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from media_nodes.client import ToneTrack, VoiceClient
from media_nodes.node import RoomSnapshot
from shared.voice.voice_tokens import mint_voice_token
from tests.media_support import CHANNEL, GUILD, KEYS, NodeUnderTest, running_node

pytestmark = pytest.mark.integration


@pytest.fixture
async def media() -> AsyncIterator[NodeUnderTest]:
    async with running_node() as under_test:
        yield under_test


async def grows(client: VoiceClient, user: str, by: int, within_s: float = 10.0) -> None:
    start = client.received[user]
    await client.wait_for(lambda: client.received[user] >= start + by, within_s, f"{user} audio")


async def steady(condition: Callable[[], bool], seconds: float) -> None:
    """Assert ``condition`` holds throughout ``seconds`` (for 'nothing arrives' checks)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert condition()
        await asyncio.sleep(0.05)


async def test_three_peers_each_receive_the_other_two(media):
    a, ca = await media.join()
    b, cb = await media.join()
    c, cc = await media.join()
    for client, others in ((ca, (b, c)), (cb, (a, c)), (cc, (a, b))):
        await client.wait_for(
            lambda client=client, others=others: set(client.tracks.values()) == set(others),
            10,
            "the node's offer with both other tracks",
        )
        for other in others:
            await grows(client, other, 50)  # a second of audio
    assert set(ca.received) == {b, c}  # never its own audio back
    stats = media.node.stats
    assert stats.packets_out >= 6 * 50
    assert stats.dropped_full == 0
    # Loss over loopback through the node stays well under 1 %.
    for session in media.node.by_user.values():
        assert session.inbound.lost <= session.inbound.expected * 0.01


async def test_media_stays_on_loopback(media):
    _, client = await media.join()
    answer = next(m for m in client.messages if m["op"] == "answer")
    candidates = [line for line in answer["sdp"].splitlines() if line.startswith("a=candidate")]
    assert candidates
    assert all(" 127.0.0.1 " in line for line in candidates)
    assert client.pc is not None
    offer = client.pc.localDescription.sdp
    assert all(" 127.0.0.1 " in line for line in offer.splitlines() if "a=candidate" in line)


async def test_forwarded_packets_decode_as_opus_at_a_standard_receiver(media):
    a, _ = await media.join()
    _, listener = await media.join(decode=True)
    await grows(listener, a, 50)  # 50 decoded 20 ms frames


async def test_server_mute_stops_forwarding_and_unmute_restores_it(media):
    a, ca = await media.join()
    b, cb = await media.join()
    c, cc = await media.join()
    await grows(ca, b, 25)
    await grows(cc, b, 25)
    assert await media.control("PATCH", CHANNEL, b, {"server_mute": True}) == 200
    await asyncio.sleep(0.2)  # packets already queued may still land
    frozen = (ca.received[b], cc.received[b])
    await grows(ca, c, 25)  # c still reaches a: the room keeps working
    await steady(lambda: (ca.received[b], cc.received[b]) == frozen, 1.0)
    await grows(cb, a, 10)  # b still hears
    assert await media.control("PATCH", CHANNEL, b, {"server_mute": False}) == 200
    await grows(ca, b, 25)


async def test_server_mute_in_the_token_applies_from_the_start(media):
    a, ca = await media.join()
    b, cb = await media.join(server_mute=True)
    await grows(cb, a, 50)
    assert ca.received[b] == 0


async def test_deafened_member_receives_nothing(media):
    _a, ca = await media.join()
    d, cd = await media.join(server_deaf=True)
    await grows(ca, d, 50)  # d is heard
    assert sum(cd.received.values()) == 0
    await cd.set_state(self_mute=False, self_deaf=False)  # cannot undo a server deafen
    await steady(lambda: sum(cd.received.values()) == 0, 0.5)
    await grows(ca, d, 10)


async def test_self_mute_and_deafen_from_the_client(media):
    a, ca = await media.join()
    b, cb = await media.join()
    await grows(ca, b, 10)
    await cb.set_state(self_mute=True, self_deaf=True)
    await asyncio.sleep(0.2)
    frozen_a, frozen_b = ca.received[b], sum(cb.received.values())
    await steady(lambda: ca.received[b] == frozen_a and sum(cb.received.values()) == frozen_b, 0.6)
    await cb.set_state(self_mute=False, self_deaf=False)
    await grows(ca, b, 10)
    await grows(cb, a, 10)


async def test_speaking_follows_the_audio_level(media):
    tone = ToneTrack()
    a, ca = await media.join(track=tone)
    _b, cb = await media.join()
    await cb.wait_for(lambda: cb.speaking.get(a) is True, 10, "a speaking")
    tone.loud = False
    await cb.wait_for(lambda: cb.speaking.get(a) is False, 10, "a silent")
    assert ca.speaking.get(a) is False  # the speaker sees its own state too


async def test_leave_and_join_renegotiate_and_reuse_tracks(media):
    a, ca = await media.join()
    b, _cb = await media.join()
    c, cc = await media.join()
    await ca.wait_for(lambda: set(ca.tracks.values()) == {b, c}, 10, "two tracks")
    mids_before = set(ca.tracks)
    await cc.close()
    await ca.wait_for(lambda: set(ca.tracks.values()) == {b}, 10, "c's track gone")
    d, cd = await media.join()
    await ca.wait_for(lambda: set(ca.tracks.values()) == {b, d}, 10, "d's track")
    assert set(ca.tracks) <= mids_before  # d took c's freed slot: the SDP did not grow
    await grows(ca, d, 25)
    await grows(cd, a, 25)


async def test_a_stalled_receiver_is_bounded_and_hurts_no_one_else(media):
    a, _ca = await media.join()
    _b, cb = await media.join()
    c, cc = await media.join()
    await grows(cc, a, 10)
    session = media.node.by_user[c]
    gate = asyncio.Event()

    async def stalled(data: bytes) -> None:
        await gate.wait()

    for route in session.routes.values():
        route.send = stalled
    dropped_before = media.node.stats.dropped_full
    await asyncio.sleep(1.5)  # 2 sources x 50 packets/s into a 16-packet outbox
    assert len(session.outbox) <= media.node.settings.outbox_packets
    assert media.node.stats.dropped_full - dropped_before > 50
    await grows(cb, a, 25)  # the others are not held up
    gate.set()


async def test_rooms_are_separate(media):
    _a, ca = await media.join(channel_id="901")
    _b, cb = await media.join(channel_id="902")
    await asyncio.sleep(1.0)
    assert sum(ca.received.values()) == 0
    assert sum(cb.received.values()) == 0
    assert set(media.node.rooms) == {"901", "902"}


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status


async def test_bad_tokens_get_401_before_any_websocket(media):
    rtc = media.node.endpoint.replace("ws://", "http://")
    assert await _status(f"{rtc}?token=garbage") == 401
    assert await _status(rtc) == 401
    wrong = mint_voice_token(
        KEYS.private_pem, kid="test", node_id="other", user_id="1", guild_id="2", channel_id="3"
    )
    assert await _status(f"{rtc}?token={wrong}") == 401
    token = media.token("77")
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{media.node.endpoint}?token={token}")
        await ws.close()
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{media.node.endpoint}?token={token}")
    assert err.value.status == 401  # single use


async def test_protocol_errors_are_answered_then_closed_before_joining(media):
    async with aiohttp.ClientSession() as http:
        for user, bad, code in [
            ("78", "{not json", "invalid"),
            ("79", '{"op": "offer", "sdp": "v=0\\r\\nnonsense"}', "invalid_offer"),
            ("80", '{"op": "answer", "sdp": "v=0"}', "not_joined"),
        ]:
            ws = await http.ws_connect(f"{media.node.endpoint}?token={media.token(user)}")
            await ws.send_str(bad)
            reply = await ws.receive_json(timeout=5)
            assert (reply["op"], reply["code"]) == ("error", code)
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE
            assert closing.data == 4004
    assert media.node.by_user == {}


async def _offer_with(sdp_edit) -> str:
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = sdp_edit(pc.localDescription.sdp)
    await pc.close()
    return sdp


@pytest.mark.parametrize(
    "edit",
    [
        # PCMU only: negotiable, but not Opus, which is all the node forwards.
        lambda sdp: "\r\n".join(
            line.replace("UDP/TLS/RTP/SAVPF 96 9 0 8", "UDP/TLS/RTP/SAVPF 0")
            for line in sdp.split("\r\n")
            if not line.startswith(("a=rtpmap:96", "a=fmtp:96", "a=rtcp-fb:96"))
        ),
        # No codec aiortc knows: nothing in common.
        lambda sdp: sdp.replace("UDP/TLS/RTP/SAVPF 96 9 0 8", "UDP/TLS/RTP/SAVPF 120").replace(
            "a=rtpmap:96 opus/48000/2", "a=rtpmap:120 nonsense/8000"
        ),
        # Video only.
        lambda sdp: sdp.replace("m=audio", "m=video"),
    ],
    ids=["pcmu-only", "unknown-codec", "video"],
)
async def test_offers_the_node_cannot_use_are_refused(media, edit):
    sdp = await _offer_with(edit)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{media.node.endpoint}?token={media.token('81')}")
        await ws.send_json({"op": "offer", "sdp": sdp})
        reply = await ws.receive_json(timeout=10)
        assert (reply["op"], reply["code"]) == ("error", "invalid_offer")
        closing = await ws.receive(timeout=10)
        assert closing.data == 4004
    assert media.node.by_user == {}


async def test_a_client_that_never_offers_is_closed(media):
    media.node.settings = media.node.settings.model_copy(update={"offer_timeout_s": 0.5})
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{media.node.endpoint}?token={media.token('82')}")
        closing = await ws.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE
        assert closing.data == 4004
        assert ws.close_code == 4004


async def test_protocol_errors_after_joining_are_answered_and_survived(media):
    a, ca = await media.join()
    assert ca._ws is not None
    await ca._ws.send_str('{"op": "answer", "sdp": "v=0"}')  # no node offer is waiting
    await ca._ws.send_str('{"op": "dance"}')
    await ca.wait_for(
        lambda: (
            [m.get("code") for m in ca.messages if m["op"] == "error"]
            == ["unexpected_answer", "invalid"]
        ),
        5,
        "two error replies",
    )
    assert not ca.closed
    assert a in media.node.by_user


async def test_control_api_needs_a_control_token_and_a_member(media):
    a, _ = await media.join()
    url = f"{media.node.http_url}/rooms/{CHANNEL}/members/{a}"
    async with aiohttp.ClientSession() as http:
        async with http.patch(url, json={"server_mute": True}) as response:
            assert response.status == 401
        voice = media.token("5")
        async with http.patch(
            url, json={"server_mute": True}, headers={"Authorization": f"Bearer {voice}"}
        ) as response:
            assert response.status == 401
    assert await media.control("PATCH", CHANNEL, "404", {"server_mute": True}) == 404
    assert await media.control("PATCH", CHANNEL, a, {"server_mute": "yes"}) == 400
    assert await media.control("DELETE", CHANNEL, a) == 204
    assert media.node.by_user == {}


async def test_capacity_is_enforced_at_its_edge(media):
    media.node.settings = media.node.settings.model_copy(update={"capacity": 2})
    await media.join()
    await media.join()
    rtc = media.node.endpoint.replace("ws://", "http://")
    assert await _status(f"{rtc}?token={media.token('99')}") == 503


async def test_registry_heartbeat_reports_load(media):
    _a, ca = await media.join()
    _b, _ = await media.join()

    def load() -> int:
        record = media.registry.records.get("node-test")
        return -1 if record is None else record.load

    await ca.wait_for(lambda: load() == 2, 5, "a heartbeat with load 2")
    assert media.registry.records["node-test"].endpoint == media.node.endpoint


async def test_metrics_report_rooms_participants_packets(media):
    _a, ca = await media.join()
    b, _ = await media.join()
    await grows(ca, b, 25)
    async with aiohttp.ClientSession() as http, http.get(f"{media.node.http_url}/metrics") as r:
        text = await r.text()
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["parley_media_rooms"] == 1
    assert values["parley_media_participants"] == 2
    assert values["parley_media_packets_in_total"] > 0
    assert values["parley_media_packets_out_total"] > 0
    assert 'parley_media_packets_dropped_total{reason="outbox_full"}' in values
    assert "process_cpu_seconds_total" in values
    assert values["parley_media_forward_delay_seconds_count"] > 0


async def test_drain_leaves_the_registry_moves_clients_and_stops(media):
    a, ca = await media.join()
    b, cb = await media.join()
    assert "node-test" in media.registry.records
    snapshots: list[list[RoomSnapshot]] = []

    async def hook(rooms: list[RoomSnapshot]) -> None:
        snapshots.append(rooms)
        # The gateway would re-allocate and tell clients; here they just leave.
        await ca.close()
        await cb.close()

    media.node.drain_hooks.append(hook)
    drain = asyncio.create_task(media.node.drain())
    await ca.wait_for(lambda: ca.closed, 5, "client a closed")
    await drain
    assert {"op": "moving"} in ca.messages
    assert {"op": "moving"} in cb.messages
    assert snapshots == [[RoomSnapshot(GUILD, CHANNEL, (a, b))]]
    assert "node-test" not in media.registry.records
    assert media.node.by_user == {}


async def test_health_turns_503_while_draining(media):
    assert await _status(f"{media.node.http_url}/health") == 200
    media.node.draining = True
    assert await _status(f"{media.node.http_url}/health") == 503
    rtc = media.node.endpoint.replace("ws://", "http://")
    assert await _status(f"{rtc}?token={media.token('55')}") == 503
    media.node.draining = False
