"""Voice under moto: gateway op 4 (join, move, leave and its rules), voice states in
GUILD_CREATE, server mute, speaking, regions, and the watcher (dead nodes, departed sessions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.auth.keysource import load_keyring
from shared.config import get_settings
from shared.gateway import commands, lifecycle
from shared.gateway.directory import set_directory
from shared.gateway.store_directory import StoreDirectory
from shared.guilds.domain.permissions import Permission
from shared.table.keys import channel_sk, guild_pk
from shared.voice import states as voice
from shared.voice.domain.nodes import NodeRecord
from shared.voice.storage import states as voice_states
from shared.voice.storage.nodes import save_heartbeat
from shared.voice.storage.speaking_reports import SpeakingReport, save_report
from shared.voice.token_keys import load_voice_keys
from shared.voice.voice_tokens import VoiceTokenVerifier
from tests.functional.apigw import request
from tests.functional.conftest import frames_posted
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    give_role,
    join,
    make_role,
    member_with,
    new_user,
    set_attributes,
)
from tests.functional.test_gateway_sessions import send, token_for


def node(
    node_id: str, *, load: int = 0, capacity: int = 10, ttl: float = 60.0, region: str = "local"
) -> NodeRecord:
    now = time.time()
    record = NodeRecord(
        node_id=node_id,
        endpoint=f"ws://127.0.0.1:9/{node_id}/rtc",
        region=region,
        capacity=capacity,
        load=load,
        heartbeat_at=now + min(ttl, 0) - 1,
        expires_at=now + ttl,
    )
    save_heartbeat(record)
    return record


@pytest.fixture(autouse=True)
def gateway(table: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The real directory; the issuer's keys without HTTP; node control calls recorded."""
    monkeypatch.setattr(commands, "issuer_keys", lambda: load_keyring(get_settings()))
    set_directory(StoreDirectory())
    calls: list[tuple[Any, ...]] = []

    def flags(node_id: str, endpoint: str, channel_id: int, user_id: int, **kw: bool) -> None:
        calls.append((node_id, channel_id, user_id))

    monkeypatch.setattr(voice, "set_member_flags", flags)
    monkeypatch.setattr(voice, "disconnect_member", lambda *a: calls.append(("disconnect", *a[2:])))
    return calls


class Session:
    """One identified gateway session (a connection id, its user, its session id)."""

    def __init__(self, user_id: int, connection_id: str) -> None:
        self.user_id = user_id
        self.connection_id = connection_id
        lifecycle.connected(connection_id, user_id)
        send(
            connection_id, {"op": 2, "d": {"token": token_for(user_id), "properties": {}}}, user_id
        )
        ready = self.frames()[0]
        assert ready["t"] == "READY"
        self.session_id = ready["d"]["session_id"]

    def frames(self) -> list[dict[str, Any]]:
        return frames_posted(self.connection_id)

    def op4(self, guild_id: str, channel_id: str | None, **flags: bool) -> dict[str, Any] | None:
        """Send op 4; the frame it answered with (VOICE_SERVER_UPDATE or ERROR), if any."""
        before = len(self.frames())
        d = {"guild_id": guild_id, "channel_id": channel_id, "self_mute": False, "self_deaf": False}
        send(self.connection_id, {"op": 4, "d": {**d, **flags}}, self.user_id)
        new = self.frames()[before:]
        assert len(new) <= 1, new
        return new[0] if new else None


def voice_channel(guild: dict[str, Any]) -> str:
    return next(c["id"] for c in guild["channels"] if c["type"] == 2)


def text_channel_of(guild: dict[str, Any]) -> str:
    return next(c["id"] for c in guild["channels"] if c["type"] == 0)


_connections = iter(range(10**6))


def session_for(user_id: int) -> Session:
    return Session(user_id, f"conn-{next(_connections)}=")


def granted(frame: dict[str, Any] | None) -> dict[str, Any]:
    """The ``d`` of a VOICE_SERVER_UPDATE answer (fails on anything else)."""
    assert frame is not None and frame["op"] == 0, frame
    assert frame["t"] == "VOICE_SERVER_UPDATE" and frame["s"] is None, frame
    d: dict[str, Any] = frame["d"]
    return d


def room_count(channel_id: str) -> int:
    room = voice_states.get_room(int(channel_id))
    return 0 if room is None else room.count


def verify(grant: dict[str, Any], node_id: str) -> Any:
    keys = load_voice_keys(get_settings())
    return VoiceTokenVerifier(keys.jwks_json(), node_id).verify(grant["token"])


def test_join_grants_a_token_for_the_node_and_the_guild_hears_the_state() -> None:
    a = node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    tap = StreamTap()
    tap.events()
    session = session_for(owner)

    answer = session.op4(guild["id"], voice_channel(guild), self_mute=True)

    assert answer is not None and answer["op"] == 0 and answer["t"] == "VOICE_SERVER_UPDATE"
    assert answer["s"] is None  # session-only: not in the gateway log
    d = answer["d"]
    assert (d["guild_id"], d["channel_id"], d["endpoint"]) == (
        guild["id"],
        voice_channel(guild),
        a.endpoint,
    )
    grant = verify(d, "node-a")
    assert (grant.user_id, grant.channel_id, grant.server_mute) == (
        str(owner),
        voice_channel(guild),
        False,
    )
    events = [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert [e["d"] for e in events] == [
        {
            "guild_id": guild["id"],
            "channel_id": voice_channel(guild),
            "user_id": str(owner),
            "session_id": session.session_id,
            "self_mute": True,
            "self_deaf": False,
            "mute": False,
            "deaf": False,
            "suppress": False,
            "speaking": False,
        }
    ]
    assert events[0]["guild_id"] == guild["id"] and events[0]["user_id"] is None  # guild-wide


def test_guild_create_carries_the_voice_states() -> None:
    node("node-a")
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)
    session_for(owner).op4(guild["id"], voice_channel(guild))

    late = session_for(other)

    created = next(f for f in late.frames() if f["t"] == "GUILD_CREATE")
    assert [(v["user_id"], v["channel_id"]) for v in created["d"]["voice_states"]] == [
        (str(owner), voice_channel(guild))
    ]


def test_a_non_member_a_text_channel_and_a_missing_connect_are_refused() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    stranger = session_for(new_user())
    refused = stranger.op4(guild["id"], voice_channel(guild))
    assert refused is not None and refused["op"] == 12 and refused["d"]["status"] == 404

    member = new_user()
    join(guild, member)
    session = session_for(member)
    text = session.op4(guild["id"], text_channel_of(guild))
    assert text is not None and text["d"]["code"] == "not_voice_channel"

    # @everyone may not CONNECT in the voice channel.
    denied = request(
        "PUT",
        f"/channels/{voice_channel(guild)}/permissions/{guild['id']}",
        user=owner,
        body={"type": 0, "deny": str(int(Permission.CONNECT))},
    )
    assert denied.status == 204, denied
    forbidden = session.op4(guild["id"], voice_channel(guild))
    assert forbidden is not None and forbidden["d"]["status"] == 403
    assert voice_states.get_state(int(guild["id"]), member) is None
    # The owner still may (the owner has every permission).
    granted(session_for(owner).op4(guild["id"], voice_channel(guild)))


def test_the_user_limit_admits_exactly_n() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    channel = voice_channel(guild)
    limited = request("PATCH", f"/channels/{channel}", user=owner, body={"user_limit": 2})
    assert limited.status == 200, limited
    users = [owner] + [new_user() for _ in range(2)]
    for user in users[1:]:
        join(guild, user)
    sessions = [session_for(u) for u in users]

    granted(sessions[0].op4(guild["id"], channel))
    granted(sessions[1].op4(guild["id"], channel))
    full = sessions[2].op4(guild["id"], channel)
    assert full is not None and full["op"] == 12
    assert (full["d"]["status"], full["d"]["code"]) == (403, "voice_channel_full")
    assert room_count(channel) == 2

    assert sessions[1].op4(guild["id"], None) is None  # one leaves: a place is free again
    granted(sessions[2].op4(guild["id"], channel))
    assert room_count(channel) == 2


def test_a_member_who_may_move_members_joins_a_full_channel() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    channel = voice_channel(guild)
    limited = request("PATCH", f"/channels/{channel}", user=owner, body={"user_limit": 1})
    assert limited.status == 200, limited
    plain, another = new_user(), new_user()
    for user in (plain, another):
        join(guild, user)
    mover = member_with(guild, Permission.MOVE_MEMBERS)

    granted(session_for(plain).op4(guild["id"], channel))
    granted(session_for(mover).op4(guild["id"], channel))
    assert room_count(channel) == 2
    full = session_for(another).op4(guild["id"], channel)
    assert full is not None and full["d"]["code"] == "voice_channel_full"


def test_leave_and_move(gateway: list[tuple[Any, ...]]) -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    first = voice_channel(guild)
    made = request(
        "POST", f"/guilds/{guild['id']}/channels", user=owner, body={"name": "Two", "type": 2}
    )
    assert made.status == 201, made
    second = made.body["id"]
    session = session_for(owner)
    tap = StreamTap()
    granted(session.op4(guild["id"], first))

    moved = granted(session.op4(guild["id"], second))
    assert ("disconnect", int(first), owner) in gateway  # the old room lets go

    assert moved["channel_id"] == second
    assert verify(moved, "node-a").channel_id == second
    assert (room_count(first), room_count(second)) == (0, 1)
    state = voice_states.get_state(int(guild["id"]), owner)
    assert state is not None and state.channel_id == int(second)

    assert session.op4(guild["id"], None) is None
    assert voice_states.get_state(int(guild["id"]), owner) is None
    assert (room_count(first), room_count(second)) == (0, 0)
    updates = [
        (e["channel_id"], e["d"]["channel_id"])
        for e in tap.events()
        if e["t"] == "VOICE_STATE_UPDATE"
    ]
    # A move is a leave of the old channel (for those who see only it), then the new state;
    # each event goes to those who may see its channel.
    assert updates == [(first, first), (first, None), (second, second), (second, None)]
    # Leaving again changes nothing and says nothing.
    assert session.op4(guild["id"], None) is None
    assert [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"] == []


def test_self_flags_change_in_place_without_a_new_token() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    session = session_for(owner)
    granted(session.op4(guild["id"], voice_channel(guild)))
    tap = StreamTap()
    tap.events()

    assert session.op4(guild["id"], voice_channel(guild), self_mute=True, self_deaf=True) is None

    [event] = [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert (event["d"]["self_mute"], event["d"]["self_deaf"]) == (True, True)
    assert room_count(voice_channel(guild)) == 1


def test_without_speak_a_member_joins_suppressed_and_the_token_server_mutes() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    member = new_user()
    join(guild, member)
    denied = request(
        "PUT",
        f"/channels/{voice_channel(guild)}/permissions/{guild['id']}",
        user=owner,
        body={"type": 0, "deny": str(int(Permission.SPEAK))},
    )
    assert denied.status == 204, denied

    d = granted(session_for(member).op4(guild["id"], voice_channel(guild)))

    assert verify(d, "node-a").server_mute is True
    state = voice_states.get_state(int(guild["id"]), member)
    assert state is not None and state.suppress and not state.mute


def test_allocation_takes_the_least_loaded_live_node_and_keeps_the_room_there() -> None:
    node("busy", load=8)
    node("dead", load=0, ttl=-1)
    node("idle", load=1)
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)

    first = granted(session_for(owner).op4(guild["id"], voice_channel(guild)))
    assert first["endpoint"].endswith("/idle/rtc")
    node("idle", load=9)  # now the busiest, but the room is there: it stays
    second = granted(session_for(other).op4(guild["id"], voice_channel(guild)))
    assert second["endpoint"].endswith("/idle/rtc")


def test_no_live_node_is_a_503_and_nothing_is_recorded() -> None:
    node("dead", ttl=-1)
    owner = new_user()
    guild = create_guild(owner)
    refused = session_for(owner).op4(guild["id"], voice_channel(guild))
    assert refused is not None and refused["op"] == 12
    assert (refused["d"]["status"], refused["d"]["code"]) == (503, "no_voice_server")
    assert voice_states.get_state(int(guild["id"]), owner) is None
    assert room_count(voice_channel(guild)) == 0


def test_op4_needs_an_identified_session_and_a_valid_payload() -> None:
    owner = new_user()
    guild = create_guild(owner)
    lifecycle.connected("bare=", owner)
    send("bare=", {"op": 4, "d": {"guild_id": guild["id"], "channel_id": None}}, owner)
    [frame] = frames_posted("bare=")
    assert (frame["op"], frame["d"]["code"]) == (12, "not_identified")
    session = session_for(owner)
    before = len(session.frames())
    send(session.connection_id, {"op": 4, "d": {"guild_id": "x"}}, owner)
    [bad] = session.frames()[before:]
    assert (bad["op"], bad["d"]["status"], bad["d"]["code"]) == (12, 400, "invalid_payload")


def test_the_watcher_moves_a_dead_nodes_room_and_tells_each_session() -> None:
    node("node-a")
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)
    sessions = [session_for(owner), session_for(other)]
    for session in sessions:
        assert granted(session.op4(guild["id"], voice_channel(guild)))["endpoint"].endswith(
            "/node-a/rtc"
        )
    node("node-a", ttl=-1)  # stopped heartbeating: its TTL has passed
    b = node("node-b")
    counts = [len(s.frames()) for s in sessions]

    report = voice.watch_once()

    assert (report.moved, report.told) == (1, 2)
    for session, count in zip(sessions, counts, strict=True):
        [update] = session.frames()[count:]
        d = granted(update)
        assert d["endpoint"] == b.endpoint
        assert verify(d, "node-b").user_id == str(session.user_id)
    room = voice_states.get_room(int(voice_channel(guild)))
    assert room is not None and (room.node_id, room.count) == ("node-b", 2)
    assert voice.watch_once().moved == 0  # settled


def test_a_join_to_a_dead_nodes_room_moves_everyone_with_it() -> None:
    node("node-a")
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)
    first = session_for(owner)
    granted(first.op4(guild["id"], voice_channel(guild)))
    node("node-a", ttl=-1)
    node("node-b")
    before = len(first.frames())

    d = granted(session_for(other).op4(guild["id"], voice_channel(guild)))

    assert d["endpoint"].endswith("/node-b/rtc")
    [told] = first.frames()[before:]
    assert granted(told)["endpoint"].endswith("/node-b/rtc")


def test_a_departed_session_leaves_voice_after_the_grace_period() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    session = session_for(owner)
    granted(session.op4(guild["id"], voice_channel(guild)))
    lifecycle.disconnected(session.connection_id)
    grace = get_settings().voice_disconnect_grace_s
    now = time.time()

    assert voice.watch_once(now + grace - 1).left == 0  # may still resume
    assert voice_states.get_state(int(guild["id"]), owner) is not None
    tap = StreamTap()
    tap.events()
    assert voice.watch_once(now + grace + 1).left == 1
    assert voice_states.get_state(int(guild["id"]), owner) is None
    [event] = [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert event["d"]["channel_id"] is None


def test_a_kicked_member_and_a_deleted_channels_members_leave_at_the_next_pass() -> None:
    node("node-a")
    owner, kicked = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, kicked)
    made = request(
        "POST", f"/guilds/{guild['id']}/channels", user=owner, body={"name": "Two", "type": 2}
    )
    assert made.status == 201, made
    granted(session_for(kicked).op4(guild["id"], voice_channel(guild)))
    granted(session_for(owner).op4(guild["id"], made.body["id"]))
    assert voice.watch_once().left == 0

    assert request("DELETE", f"/guilds/{guild['id']}/members/{kicked}", user=owner).status == 204
    assert request("DELETE", f"/channels/{made.body['id']}", user=owner).status in (200, 204)

    assert voice.watch_once().left == 2
    assert voice_states.guild_states(int(guild["id"])) == []
    assert (room_count(voice_channel(guild)), room_count(made.body["id"])) == (0, 0)


@pytest.mark.parametrize("revoke", ["overwrite", "role_removed", "timeout"])
def test_losing_connect_or_being_timed_out_takes_a_member_out_of_voice(
    revoke: str, gateway: list[tuple[Any, ...]]
) -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    gid, channel = guild["id"], voice_channel(guild)
    # @everyone may not CONNECT; a role gives it back
    no_connect = {"permissions": str(int(Permission.VIEW_CHANNEL))}
    assert request("PATCH", f"/guilds/{gid}/roles/{gid}", user=owner, body=no_connect).status == 200
    speaker = new_user()
    join(guild, speaker)
    role = make_role(guild, Permission.CONNECT | Permission.SPEAK, position=1, name="voice")
    give_role(guild, speaker, role)
    bystander = member_with(guild, Permission.CONNECT, position=1)
    granted(session_for(speaker).op4(gid, channel))
    granted(session_for(bystander).op4(gid, channel))
    assert voice.watch_once().left == 0
    tap = StreamTap()
    tap.events()

    if revoke == "overwrite":
        deny = {"type": 1, "deny": str(int(Permission.CONNECT))}
        url = f"/channels/{channel}/permissions/{speaker}"
        assert request("PUT", url, user=owner, body=deny).status == 204
    elif revoke == "role_removed":
        url = f"/guilds/{gid}/members/{speaker}/roles/{role}"
        assert request("DELETE", url, user=owner).status == 204
    else:
        until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        body = {"communication_disabled_until": until}
        url = f"/guilds/{gid}/members/{speaker}"
        assert request("PATCH", url, user=owner, body=body).status == 200

    # at once, not at the watcher's next pass
    assert voice_states.get_state(int(gid), speaker) is None
    assert voice_states.get_state(int(gid), bystander) is not None
    assert ("disconnect", int(channel), speaker) in gateway  # the node drops them
    assert room_count(channel) == 1
    [left] = [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert (left["channel_id"], left["d"]["channel_id"], left["d"]["user_id"]) == (
        channel,
        None,
        str(speaker),
    )
    refused = session_for(speaker).op4(gid, channel)
    assert refused is not None and refused["op"] == 12 and refused["d"]["status"] == 403
    assert voice.watch_once().left == 0


def test_the_watcher_takes_out_of_voice_those_a_change_it_missed_left_without_connect(
    gateway: list[tuple[Any, ...]],
) -> None:
    """The backstop: an overwrite written without the channel service (as a change whose own
    check failed would leave it) is found at the next pass."""
    node("node-a")
    owner, member = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, member)
    gid, channel = guild["id"], voice_channel(guild)
    granted(session_for(member).op4(gid, channel))
    deny = {str(member): {"type": 1, "allow": 0, "deny": int(Permission.CONNECT)}}
    set_attributes({"PK": guild_pk(int(gid)), "SK": channel_sk(int(channel))}, overwrites=deny)

    assert voice.watch_once().left == 1
    assert voice_states.get_state(int(gid), member) is None
    assert ("disconnect", int(channel), member) in gateway


def test_server_mute_needs_mute_members_and_reaches_the_node(
    gateway: list[tuple[Any, ...]],
) -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    target = new_user()
    join(guild, target)
    plain = new_user()
    join(guild, plain)
    path = f"/guilds/{guild['id']}/members/{target}"
    not_in_voice = request("PATCH", path, user=owner, body={"mute": True})
    assert (not_in_voice.status, not_in_voice.body["code"]) == (400, "not_in_voice")
    granted(session_for(target).op4(guild["id"], voice_channel(guild)))

    refused = request("PATCH", path, user=plain, body={"mute": True})
    assert refused.status == 403
    assert gateway == []

    tap = StreamTap()
    tap.events()
    muted = request("PATCH", path, user=owner, body={"mute": True})

    assert muted.status == 200, muted
    assert gateway == [("node-a", int(voice_channel(guild)), target)]
    [event] = [e for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert (event["d"]["mute"], event["d"]["deaf"]) == (True, False)
    # MUTE_MEMBERS alone may unmute, not deafen.
    muter = member_with(guild, int(Permission.MUTE_MEMBERS))
    assert request("PATCH", path, user=muter, body={"deaf": True}).status == 403
    unmuted = request("PATCH", path, user=muter, body={"mute": False})
    assert unmuted.status == 200, unmuted
    state = voice_states.get_state(int(guild["id"]), target)
    assert state is not None and (state.mute, state.deaf) == (False, False)


def test_speaking_reports_reach_the_guild_once_per_change() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    granted(session_for(owner).op4(guild["id"], voice_channel(guild)))
    tap = StreamTap()
    tap.pump()
    gid, cid = int(guild["id"]), int(voice_channel(guild))

    assert voice.report_speaking(gid, cid, owner, True)
    assert not voice.report_speaking(gid, cid, owner, True)  # no change, no event
    assert not voice.report_speaking(gid, cid + 1, owner, False)  # not in that channel
    assert voice.report_speaking(gid, cid, owner, False)

    speaking = [e["d"]["speaking"] for e in tap.events() if e["t"] == "VOICE_STATE_UPDATE"]
    assert speaking == [True, False]


def test_a_nodes_speaking_report_travels_the_stream_for_its_own_rooms_only() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    granted(session_for(owner).op4(guild["id"], voice_channel(guild)))
    gid, cid = int(guild["id"]), int(voice_channel(guild))
    tap = StreamTap()
    tap.pump()

    save_report(SpeakingReport("node-b", gid, cid, owner, True))  # not its room: ignored
    tap.pump()
    state = voice_states.get_state(gid, owner)
    assert state is not None and not state.speaking

    save_report(SpeakingReport("node-a", gid, cid, owner, True))  # the guild stream applies it
    tap.pump()
    state = voice_states.get_state(gid, owner)
    assert state is not None and state.speaking


def test_regions_list_live_nodes_regions_least_loaded_first() -> None:
    node("a", region="eu-west-1", load=9)
    node("b", region="us-east-1", load=1)
    node("c", region="ap-south-1", ttl=-1)
    reply = request("GET", "/voice/regions", user=new_user())
    assert reply.status == 200, reply
    assert [(r["id"], r["optimal"]) for r in reply.body] == [
        ("us-east-1", True),
        ("eu-west-1", False),
    ]


def test_voice_state_updates_spend_the_user_s_budget(slow_refill: Callable[[str], int]) -> None:
    """The n-th op 4 is handled, the n+1-th is op 12 ``rate_limited``; another user's are not
    counted against it. The budget's capacity is the real one, refilled over an hour so that
    the edge stays put while the test runs."""
    capacity = slow_refill("gateway.voice")
    node("node-a")
    owner, member = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, member)
    session = session_for(owner)
    channel = voice_channel(guild)
    granted(session.op4(guild["id"], channel))
    for n in range(capacity - 1):
        assert session.op4(guild["id"], channel, self_mute=n % 2 == 0) is None
    refused = session.op4(guild["id"], channel, self_mute=True)
    assert refused is not None and refused["op"] == 12, refused
    assert (refused["d"]["code"], refused["d"]["status"]) == ("rate_limited", 429)
    assert refused["d"]["errors"]["retry_after"] > 0
    granted(session_for(member).op4(guild["id"], channel))
