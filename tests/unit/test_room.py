"""The room state machine, with no sockets: membership, routing, mute/deaf, speaking."""

from __future__ import annotations

import pytest

from media_nodes.room import Room, SpeakingChanged, SpeakingPolicy, TracksChanged

LOUD, QUIET = 20, 127


def room_with(*users, **policy):
    room = Room("303", "202", policy=SpeakingPolicy(**policy))
    for user in users:
        room.join(user)
    return room


def test_join_gives_everyone_a_track_for_everyone_else():
    room = room_with("a")
    events = room.join("b")
    assert TracksChanged("a", ("b",)) in events
    assert TracksChanged("b", ("a",)) in events
    events = room.join("c")
    assert TracksChanged("c", ("a", "b")) in events
    assert room.receivers_of("a") == ("b", "c")
    assert room.receivers_of("c") == ("a", "b")


def test_leave_removes_tracks_and_routes():
    room = room_with("a", "b", "c")
    events = room.leave("b")
    assert TracksChanged("a", ("c",)) in events
    assert TracksChanged("c", ("a",)) in events
    assert room.receivers_of("a") == ("c",)
    assert room.receivers_of("b") == ()
    assert room.leave("b") == []


def test_rejoin_keeps_the_seat_and_takes_the_new_server_flags():
    room = room_with("a", "b")
    assert room.join("a", server_mute=True) == []
    assert len(room) == 2
    assert room.receivers_of("a") == ()


def test_server_muted_member_is_not_forwarded_but_still_hears():
    room = room_with("a", "b", "c")
    room.set_server("b", mute=True, deaf=False)
    assert room.receivers_of("b") == ()
    assert "b" in room.receivers_of("a")
    room.set_server("b", mute=False, deaf=False)
    assert room.receivers_of("b") == ("a", "c")


def test_server_mute_from_the_token_applies_at_join():
    room = room_with("a")
    room.join("b", server_mute=True)
    assert room.receivers_of("b") == ()
    assert room.receivers_of("a") == ("b",)


def test_deafened_member_receives_nothing_and_is_still_heard():
    room = room_with("a", "b", "c")
    room.set_server("c", mute=False, deaf=True)
    assert "c" not in room.receivers_of("a")
    assert "c" not in room.receivers_of("b")
    assert room.receivers_of("c") == ("a", "b")
    room.set_self("a", mute=False, deaf=True)
    assert room.receivers_of("b") == ()


def test_self_mute_stops_forwarding_and_unmute_restores_it():
    room = room_with("a", "b")
    room.set_self("a", mute=True, deaf=False)
    assert room.receivers_of("a") == ()
    room.set_self("a", mute=False, deaf=False)
    assert room.receivers_of("a") == ("b",)


def test_flags_never_renegotiate():
    room = room_with("a", "b")
    events = room.set_server("a", mute=True, deaf=True) + room.set_self("b", mute=True, deaf=True)
    assert not any(isinstance(e, TracksChanged) for e in events)


def test_unknown_user_changes_nothing():
    room = room_with("a")
    assert room.set_self("x", mute=True, deaf=True) == []
    assert room.set_server("x", mute=True, deaf=True) == []
    assert room.audio_level("x", LOUD, 0.0) == []


def test_speaking_starts_on_a_loud_packet_and_ends_after_the_hangover():
    room = room_with("a", "b", hangover_s=0.4, min_interval_s=0.0)
    assert room.audio_level("a", QUIET, 0.0) == []
    assert room.audio_level("a", LOUD, 0.1) == [SpeakingChanged("a", True)]
    assert room.audio_level("a", LOUD, 0.12) == []
    assert room.tick(0.51) == []  # 0.12 + 0.4 = 0.52
    assert room.tick(0.52) == [SpeakingChanged("a", False)]


def test_the_threshold_is_inclusive():
    room = room_with("a", threshold=50, min_interval_s=0.0)
    assert room.audio_level("a", 51, 0.0) == []
    assert room.audio_level("a", 50, 0.0) == [SpeakingChanged("a", True)]


def test_speaking_changes_are_throttled_and_the_held_change_comes_on_tick():
    room = room_with("a", hangover_s=0.05, min_interval_s=0.2)
    assert room.audio_level("a", LOUD, 0.0) == [SpeakingChanged("a", True)]
    # Silent after 0.05 s, but no change may be published before 0.2 s.
    assert room.tick(0.1) == []
    assert room.tick(0.2) == [SpeakingChanged("a", False)]
    # Loud again at once: held until 0.4.
    assert room.audio_level("a", LOUD, 0.3) == []
    assert room.audio_level("a", LOUD, 0.4) == [SpeakingChanged("a", True)]


def test_a_flood_of_level_flips_publishes_at_most_one_change_per_interval():
    room = room_with("a", hangover_s=0.01, min_interval_s=0.25)
    published = []
    for i in range(1000):  # 10 s of packets flipping loud/quiet every 10 ms
        now = i * 0.01
        published += room.audio_level("a", LOUD if i % 2 else QUIET, now)
    assert len(published) <= 10 / 0.25 + 1


def test_muting_ends_speaking_at_once_and_ignores_levels():
    room = room_with("a", "b", min_interval_s=10.0)
    room.audio_level("a", LOUD, 0.0)
    assert room.set_server("a", mute=True, deaf=False) == [SpeakingChanged("a", False)]
    assert room.audio_level("a", LOUD, 0.1) == []
    assert room.tick(30.0) == []


def test_leaving_while_speaking_ends_speaking():
    room = room_with("a", "b", min_interval_s=0.0)
    room.audio_level("a", LOUD, 0.0)
    assert SpeakingChanged("a", False) in room.leave("a")


@pytest.mark.parametrize(
    "kwargs", [{"threshold": -1}, {"threshold": 128}, {"hangover_s": 0}, {"min_interval_s": -1}]
)
def test_policy_validates_itself(kwargs):
    with pytest.raises(ValueError, match="must"):
        SpeakingPolicy(**kwargs)
