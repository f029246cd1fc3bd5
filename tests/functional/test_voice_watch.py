"""The voice watcher's cost and safety under moto: one pass at rest, watching only while a room is
occupied, overlapping runs that never move a room twice, and a client's re-ask that moves its
room off a dead node at once (the event-driven path beside the schedule)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from shared.config import get_settings
from shared.voice import states as voice
from shared.voice.storage import states as voice_states
from tests.functional.guildkit import create_guild, join, new_user
from tests.functional.test_voice import (
    gateway,  # noqa: F401  (autouse: the directory, the issuer's keys, node calls recorded)
    granted,
    node,
    session_for,
    voice_channel,
)


@pytest.fixture
def watching(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """A long span and a short period; every pass the watcher makes, timed."""
    monkeypatch.setenv("PARLEY_VOICE_WATCH_SPAN_S", "30")
    monkeypatch.setenv("PARLEY_VOICE_WATCH_PERIOD_S", "0.05")
    get_settings.cache_clear()
    passes: list[float] = []
    real = voice.watch_once

    def counted(now: float | None = None) -> voice.WatchReport:
        passes.append(time.monotonic())
        return real(now)

    monkeypatch.setattr(voice, "watch_once", counted)
    yield passes
    monkeypatch.undo()
    get_settings.cache_clear()


def test_at_rest_an_invocation_is_one_short_pass(watching: list[float]) -> None:
    node("node-a")  # a live node, and no one in voice
    started = time.monotonic()

    report = voice.watch()

    assert len(watching) == 1
    assert report.rooms == 0
    assert time.monotonic() - started < 5  # not the 30 s span


def test_while_a_room_is_occupied_the_run_keeps_watching_and_moves_a_node_that_dies(
    watching: list[float],
) -> None:
    owner = new_user()
    guild = create_guild(owner)
    session = session_for(owner)
    node("node-a", ttl=2.0)  # its last heartbeat: dead in 2 s
    granted(session.op4(guild["id"], voice_channel(guild)))
    b = node("node-b")
    told = len(session.frames())
    done: list[voice.WatchReport] = []

    def leave_after_the_move() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            room = voice_states.get_room(int(voice_channel(guild)))
            if room is not None and room.node_id == "node-b":
                session.op4(guild["id"], None)  # the room empties: the run may end
                return
            time.sleep(0.05)

    leaver = threading.Thread(target=leave_after_the_move)
    leaver.start()
    started = time.monotonic()
    done.append(voice.watch())
    leaver.join()

    assert done[0].moved == 1
    assert len(watching) > 2  # it kept watching while the room was occupied
    assert time.monotonic() - started < 20  # and stopped once it was empty, not at 30 s
    [update] = [f for f in session.frames()[told:] if f.get("t") == "VOICE_SERVER_UPDATE"]
    assert granted(update)["endpoint"] == b.endpoint


def test_two_overlapping_runs_move_a_dead_nodes_room_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node("node-a")
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)
    sessions = [session_for(owner), session_for(other)]
    for session in sessions:
        granted(session.op4(guild["id"], voice_channel(guild)))
    node("node-a", ttl=-1)
    node("node-b")
    node("node-c")
    # Both runs read the rooms before either moves one (as two overlapping invocations may).
    snapshot = voice_states.all_rooms()
    monkeypatch.setattr(voice.store, "all_rooms", lambda: list(snapshot))
    counts = [len(s.frames()) for s in sessions]

    first = voice.watch_once()
    second = voice.watch_once()

    assert (first.moved, second.moved) == (1, 0)
    assert second.told == 0
    room = voice_states.get_room(int(voice_channel(guild)))
    assert room is not None and room.node_id in ("node-b", "node-c") and room.count == 2
    for session, count in zip(sessions, counts, strict=True):
        updates = [f for f in session.frames()[count:] if f.get("t") == "VOICE_SERVER_UPDATE"]
        assert len(updates) == 1  # told once, of the node the room is really on
        assert granted(updates[0])["endpoint"].endswith(f"/{room.node_id}/rtc")


def test_a_client_that_asks_again_moves_its_room_off_a_dead_node_at_once() -> None:
    node("node-a")
    owner, other = new_user(), new_user()
    guild = create_guild(owner)
    join(guild, other)
    asking, staying = session_for(owner), session_for(other)
    for session in (asking, staying):
        granted(session.op4(guild["id"], voice_channel(guild)))
    node("node-a", ttl=-1)  # stopped heartbeating; no watcher has run
    b = node("node-b")
    before = len(staying.frames())

    d = granted(asking.op4(guild["id"], voice_channel(guild)))  # its media connection failed

    assert d["endpoint"] == b.endpoint
    [told] = [f for f in staying.frames()[before:] if f.get("t") == "VOICE_SERVER_UPDATE"]
    assert granted(told)["endpoint"] == b.endpoint
    room = voice_states.get_room(int(voice_channel(guild)))
    assert room is not None and (room.node_id, room.count) == ("node-b", 2)
    # While its node lives, asking again changes nothing and grants nothing.
    assert asking.op4(guild["id"], voice_channel(guild)) is None


def test_asking_again_when_no_node_is_alive_is_a_clear_503() -> None:
    node("node-a")
    owner = new_user()
    guild = create_guild(owner)
    session = session_for(owner)
    granted(session.op4(guild["id"], voice_channel(guild)))
    node("node-a", ttl=-1)

    refused = session.op4(guild["id"], voice_channel(guild))

    assert refused is not None and refused["op"] == 12
    assert (refused["d"]["status"], refused["d"]["code"]) == (503, "no_voice_server")
