"""Who receives which channel event, through the real fan-out and replay, the real directory and
permissions: an invite's code only those who manage its channel, a reply's answered message only
those who may read the history, voice states of a channel only those who may see it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest

from shared.auth.keysource import load_keyring
from shared.config import get_settings
from shared.gateway import commands, fanout, lifecycle
from shared.gateway.directory import set_directory
from shared.gateway.poster import Delivery, PostResult
from shared.gateway.store_directory import StoreDirectory
from shared.guilds.domain.permissions import Permission
from shared.voice import states as voice
from tests.functional.apigw import request
from tests.functional.conftest import frames_posted
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    join,
    make_role,
    member_with,
    new_user,
    text_channel,
)
from tests.functional.test_gateway_sessions import send, token_for
from tests.functional.test_voice import Session, granted, node, session_for, voice_channel

P = Permission


#: What the fan-out delivered, by connection (its poster speaks HTTP, which moto does not answer).
LIVE: dict[str, list[dict[str, Any]]] = defaultdict(list)


def _delivered(deliveries: Sequence[Delivery]) -> list[PostResult]:
    for delivery in deliveries:
        LIVE[delivery.connection_id] += [json.loads(frame) for frame in delivery.frames]
    return [PostResult(d.connection_id, len(d.frames), False, False) for d in deliveries]


@pytest.fixture(autouse=True)
def gateway(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real directory; the issuer's keys without HTTP; no media node to call."""
    monkeypatch.setattr(commands, "issuer_keys", lambda: load_keyring(get_settings()))
    set_directory(StoreDirectory())
    monkeypatch.setattr(voice, "disconnect_member", lambda *a: None)
    monkeypatch.setattr(fanout, "deliver", _delivered)
    LIVE.clear()


def fan_out(tap: StreamTap) -> None:
    """Run the fan-out over the stream until it is quiet: outbox items are sequenced into the
    gateway log, whose items are then delivered (each its own stream batch, as on AWS)."""
    for _ in range(10):
        records = tap.read()
        if not records:
            return
        report = fanout.handle_records(records)
        assert report.failures == [], report
    raise AssertionError("the stream did not go quiet")


def live(session: Session) -> list[dict[str, Any]]:
    """The frames the fan-out delivered to a session's connection."""
    return LIVE[session.connection_id]


def dispatched(session: Session, name: str, after: int = 0) -> list[dict[str, Any]]:
    return [f["d"] for f in live(session)[after:] if f.get("t") == name]


def resumed(session: Session, connection_id: str) -> list[dict[str, Any]]:
    """What a RESUME from sequence 0 on a new connection replays (the log from its start)."""
    lifecycle.connected(connection_id, session.user_id)
    d = {"token": token_for(session.user_id), "session_id": session.session_id, "seq": 0}
    send(connection_id, {"op": 6, "d": d}, session.user_id)
    return frames_posted(connection_id)


# ---------------------------------------------------------------- invites


def test_an_invites_code_reaches_only_those_who_manage_its_channel() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    manager = member_with(guild, P.MANAGE_CHANNELS, position=2)
    plain = new_user()
    join(guild, plain)
    inviter = member_with(guild, P.CREATE_INSTANT_INVITE, position=1)
    tap = StreamTap()
    tap.read()
    sessions = {u: session_for(u) for u in (owner, manager, plain, inviter)}

    made = request("POST", f"/channels/{channel}/invites", user=inviter, body={"max_age": 0})
    assert made.status == 201, made
    fan_out(tap)

    codes = {u: [d["code"] for d in dispatched(s, "INVITE_CREATE")] for u, s in sessions.items()}
    assert codes == {
        owner: [made.body["code"]],
        manager: [made.body["code"]],
        plain: [],
        inviter: [],
    }
    # the replay of a resumed session follows the same rule
    lifecycle.disconnected(sessions[plain].connection_id)
    replayed = resumed(sessions[plain], "conn-plain-again=")
    assert [f["t"] for f in replayed if f.get("t") == "INVITE_CREATE"] == []
    assert replayed[-1]["t"] == "RESUMED"


# ---------------------------------------------------------------- replies


def test_a_reply_reaches_those_without_history_without_the_message_it_answers() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    reader, blind = new_user(), new_user()
    join(guild, reader)
    join(guild, blind)
    deny = {"type": 1, "deny": str(int(P.READ_MESSAGE_HISTORY))}
    assert (
        request("PUT", f"/channels/{channel}/permissions/{blind}", user=owner, body=deny).status
        == 204
    )
    secret = request(
        "POST", f"/channels/{channel}/messages", user=owner, body={"content": "the secret"}
    )
    assert secret.status == 201
    tap = StreamTap()
    tap.read()
    sessions = {u: session_for(u) for u in (owner, reader, blind)}

    body = {"content": "about that", "reply_to": secret.body["id"]}
    answer = request("POST", f"/channels/{channel}/messages", user=owner, body=body)
    assert answer.status == 201, answer
    fan_out(tap)

    [seen] = dispatched(sessions[reader], "MESSAGE_CREATE")
    assert seen["referenced_message"]["content"] == "the secret"
    [told] = dispatched(sessions[blind], "MESSAGE_CREATE")
    assert told["content"] == "about that"
    assert told["message_reference"]["message_id"] == secret.body["id"]
    assert "referenced_message" not in told
    assert "the secret" not in str(live(sessions[blind]))
    # replayed on a resume, it is told the same way
    lifecycle.disconnected(sessions[blind].connection_id)
    replayed = [
        f["d"]
        for f in resumed(sessions[blind], "conn-blind-again=")
        if f.get("t") == "MESSAGE_CREATE"
    ]
    assert [d["id"] for d in replayed] == [answer.body["id"]]
    assert "referenced_message" not in replayed[0]


# ---------------------------------------------------------------- voice states


def _private_voice(guild: dict[str, Any], allowed_role: str) -> str:
    owner = int(guild["owner_id"])
    body = {
        "name": "Staff",
        "type": 2,
        "permission_overwrites": [
            {"id": guild["id"], "type": 0, "deny": str(int(P.VIEW_CHANNEL))},
            {"id": allowed_role, "type": 0, "allow": str(int(P.VIEW_CHANNEL))},
        ],
    }
    made = request("POST", f"/guilds/{guild['id']}/channels", user=owner, body=body)
    assert made.status == 201, made
    return str(made.body["id"])


def test_voice_states_of_a_hidden_channel_reach_only_those_who_see_it() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    staff_role = make_role(guild, 0, position=1, name="staff")
    staff_channel = _private_voice(guild, staff_role)
    staff, plain = new_user(), new_user()
    for user in (staff, plain):
        join(guild, user)
    assert (
        request(
            "PUT", f"/guilds/{guild['id']}/members/{staff}/roles/{staff_role}", user=owner
        ).status
        == 204
    )
    tap = StreamTap()
    tap.read()
    watchers = {u: session_for(u) for u in (owner, plain)}
    staff_session = session_for(staff)

    granted(staff_session.op4(guild["id"], staff_channel))
    fan_out(tap)
    joined = {u: dispatched(s, "VOICE_STATE_UPDATE") for u, s in watchers.items()}
    assert [d["channel_id"] for d in joined[owner]] == [staff_channel]
    assert joined[plain] == []
    # nor does a new session of theirs learn it from GUILD_CREATE
    late = session_for(plain)
    created = next(f["d"] for f in late.frames() if f["t"] == "GUILD_CREATE")
    assert created["voice_states"] == []
    late_owner = session_for(owner)
    created = next(f["d"] for f in late_owner.frames() if f["t"] == "GUILD_CREATE")
    assert [v["user_id"] for v in created["voice_states"]] == [str(staff)]

    # moving to the public channel: each sees them arrive there, and nothing else
    counts = {u: len(live(s)) for u, s in watchers.items()}
    granted(staff_session.op4(guild["id"], voice_channel(guild)))
    fan_out(tap)
    moved = {u: dispatched(s, "VOICE_STATE_UPDATE", counts[u]) for u, s in watchers.items()}
    assert [d["channel_id"] for d in moved[owner]] == [voice_channel(guild)]
    assert [d["channel_id"] for d in moved[plain]] == [voice_channel(guild)]

    # back into the hidden one, then out: to the plain member they left the public channel
    counts = {u: len(live(s)) for u, s in watchers.items()}
    granted(staff_session.op4(guild["id"], staff_channel))
    assert staff_session.op4(guild["id"], None) is None
    fan_out(tap)
    left = {u: dispatched(s, "VOICE_STATE_UPDATE", counts[u]) for u, s in watchers.items()}
    assert [d["channel_id"] for d in left[owner]] == [staff_channel, None]
    assert [d["channel_id"] for d in left[plain]] == [None]  # gone, and nothing of where
    assert all(
        "moved_to" not in d for s in watchers.values() for d in dispatched(s, "VOICE_STATE_UPDATE")
    )
    # the mover's own sessions never see themselves leave on a move
    assert [d["channel_id"] for d in dispatched(staff_session, "VOICE_STATE_UPDATE")] == [
        staff_channel,
        voice_channel(guild),
        staff_channel,
        None,
    ]
