"""A DM opened (or a guild joined) while a session is live: the session hears it from then on,
live or through a RESUME, and never what the scope carried before the join."""

from __future__ import annotations

import json
from typing import Any

from shared.gateway import fanout, lifecycle
from shared.gateway.domain.log_events import Scope
from shared.gateway.storage import sessions
from shared.outbox.domain.events import EventName, GatewayEvent
from tests.fake_directory import FakeDirectory
from tests.functional.conftest import frames_posted
from tests.functional.test_gateway_sessions import (
    GUILD,
    OTHER,
    USER,
    directory,
    emit_and_sequence,
    identify,
    send,
    token_for,
)

__all__ = ["directory"]  # the fixture, shared with test_gateway_sessions

DM = 555
NEW_GUILD = 8


def dm_opened(user: int, channel: int = DM) -> GatewayEvent:
    data = {"id": str(channel), "type": 1, "recipients": [{"id": str(OTHER)}]}
    return GatewayEvent(EventName.CHANNEL_CREATE, None, data, user_id=user, dm_channel_id=channel)


def dm_message(n: int, channel: int = DM) -> GatewayEvent:
    data = {"n": n, "channel_id": str(channel)}
    return GatewayEvent(
        EventName.MESSAGE_CREATE, None, data, channel_id=channel, dm_channel_id=channel
    )


def resumed_from_start(connection_id: str, session_id: str) -> list[tuple[str, int]]:
    """RESUME the user's session from its start on a new connection: the frames it got."""
    lifecycle.connected(connection_id, USER)
    resume = {"token": token_for(USER), "session_id": session_id, "seq": 0}
    send(connection_id, {"op": 6, "d": resume})
    return [(f["t"], f["s"]) for f in frames_posted(connection_id)]


def plans(entries: Any) -> dict[str, list[tuple[str, int]]]:
    return {
        d.connection_id: [(f["t"], f["s"]) for f in map(json.loads, d.frames)]
        for d in fanout._deliveries(entries, 0)
    }


def test_a_dm_opened_while_live_reaches_the_session_from_its_channel_create_on(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a", USER)
    identify("conn-b", OTHER)  # not a participant of this DM
    entries = emit_and_sequence(dm_message(0), dm_opened(USER), dm_message(1), dm_message(2))
    assert plans(entries) == {
        "conn-a": [("CHANNEL_CREATE", 2), ("MESSAGE_CREATE", 3), ("MESSAGE_CREATE", 4)]
    }
    session = sessions.get_session(USER, session_id)
    assert session is not None and Scope.dm(DM) in session.scopes
    assert [s.session_id for s in sessions.subscribers(Scope.dm(DM), 0)] == [session_id]
    # the next batch finds the subscription itself
    assert plans(emit_and_sequence(dm_message(3))) == {"conn-a": [("MESSAGE_CREATE", 5)]}


def test_a_dm_opened_while_disconnected_is_replayed_by_resume_and_then_live(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a", USER)
    lifecycle.disconnected("conn-a")
    emit_and_sequence(dm_message(0), dm_opened(USER), dm_message(1))
    assert resumed_from_start("conn-c", session_id) == [
        ("CHANNEL_CREATE", 2),
        ("MESSAGE_CREATE", 3),
        ("RESUMED", 3),
    ]
    # the replay subscribed the session before it went live
    assert plans(emit_and_sequence(dm_message(2))) == {"conn-c": [("MESSAGE_CREATE", 4)]}


def test_a_guild_joined_while_live_reaches_the_session(directory: FakeDirectory) -> None:
    identify("conn-a", USER)
    joined = GatewayEvent(EventName.GUILD_CREATE, NEW_GUILD, {"id": str(NEW_GUILD)}, user_id=USER)
    update = GatewayEvent(EventName.GUILD_UPDATE, NEW_GUILD, {"id": str(NEW_GUILD)})
    before = emit_and_sequence(update)
    assert plans(before) == {}
    assert plans(emit_and_sequence(joined, update)) == {
        "conn-a": [("GUILD_CREATE", 2), ("GUILD_UPDATE", 3)]
    }
    assert GUILD != NEW_GUILD


def guild_left(user: int, guild: int = GUILD) -> GatewayEvent:
    """What leaving, a kick or a ban tells the user (the guild hears GUILD_MEMBER_REMOVE)."""
    return GatewayEvent(EventName.GUILD_DELETE, guild, {"id": str(guild)}, user_id=user)


def guild_update(guild: int = GUILD) -> GatewayEvent:
    return GatewayEvent(EventName.GUILD_UPDATE, guild, {"id": str(guild)})


def test_a_guild_left_while_live_is_heard_no_more(directory: FakeDirectory) -> None:
    session_id = identify("conn-a", USER)
    identify("conn-b", OTHER)
    entries = emit_and_sequence(guild_update(), guild_left(USER), guild_update())
    assert plans(entries) == {
        "conn-a": [("GUILD_UPDATE", 1), ("GUILD_DELETE", 2)],
        "conn-b": [("GUILD_UPDATE", 1), ("GUILD_UPDATE", 3)],
    }
    session = sessions.get_session(USER, session_id)
    assert session is not None and Scope.guild(GUILD) not in session.scopes
    assert session_id not in {s.session_id for s in sessions.subscribers(Scope.guild(GUILD), 0)}
    # the next batch reads the subscriptions without them
    assert plans(emit_and_sequence(guild_update())) == {"conn-b": [("GUILD_UPDATE", 4)]}


def test_a_guild_left_while_disconnected_is_left_by_the_resume_too(
    directory: FakeDirectory,
) -> None:
    session_id = identify("conn-a", USER)
    lifecycle.disconnected("conn-a")
    emit_and_sequence(guild_update(), guild_left(USER), guild_update())
    assert resumed_from_start("conn-c", session_id) == [
        ("GUILD_UPDATE", 1),
        ("GUILD_DELETE", 2),
        ("RESUMED", 3),
    ]
    # the replay unsubscribed the session before it went live
    assert plans(emit_and_sequence(guild_update())) == {}


def test_a_leave_and_a_rejoin_in_one_batch(directory: FakeDirectory) -> None:
    identify("conn-a", USER)
    rejoined = GatewayEvent(EventName.GUILD_CREATE, GUILD, {"id": str(GUILD)}, user_id=USER)
    entries = emit_and_sequence(guild_left(USER), guild_update(), rejoined, guild_update())
    assert plans(entries) == {
        "conn-a": [("GUILD_DELETE", 1), ("GUILD_CREATE", 3), ("GUILD_UPDATE", 4)]
    }
    assert plans(emit_and_sequence(guild_update())) == {"conn-a": [("GUILD_UPDATE", 5)]}
