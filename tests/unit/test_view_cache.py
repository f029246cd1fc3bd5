"""The fan-out's kept answers to who may see a channel, and what drops them; who is asked
about a deleted channel; what a member who may not see a channel is told of it."""

from __future__ import annotations

from typing import Any

import pytest

from shared.gateway.domain.log_events import LogEvent, Scope
from shared.gateway.storage.gateway_log import LogEntry
from shared.gateway.view_cache import MAX_AGE_S, UNCHANGING, ViewCache, viewers_of
from shared.outbox.domain.events import EventName
from tests.directory_contract import hidden_overwrite
from tests.fake_directory import FakeDirectory

GUILD, OTHER_GUILD, CHANNEL, OWNER = 7, 8, 70, 99


def guild_directory() -> FakeDirectory:
    """The guild whose channel is asked about: users 1, 2 and 3 are members (its owner is not
    asked about: an owner sees every channel)."""
    directory = FakeDirectory()
    directory.add_guild(GUILD, OWNER, channels=[CHANNEL], members={1, 2, 3})
    return directory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def entry(position: int, t: str = EventName.MESSAGE_CREATE, scope: str | None = None) -> LogEntry:
    return LogEntry(position, LogEvent(t=t, d={}, scope=scope or Scope.guild(GUILD)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> ViewCache:
    return ViewCache(clock=clock)


def ask(
    cache: ViewCache, directory: FakeDirectory, users: set[int], guild: int = GUILD
) -> set[int]:
    return cache.who_can_view(directory, 0, guild, CHANNEL, users)


def test_messages_keep_the_answer_and_new_listeners_alone_are_asked(cache: ViewCache) -> None:
    directory = guild_directory()
    directory.hidden.add((CHANNEL, 2))
    cache.observe(0, [entry(1)])
    assert ask(cache, directory, {1, 2}) == {1}
    cache.observe(0, [entry(2), entry(3, EventName.TYPING_START)])
    assert ask(cache, directory, {1, 2, 3}) == {1, 3}
    assert ask(cache, directory, {1}) == {1}
    assert directory.asked == [{1, 2}, {3}]


@pytest.mark.parametrize(
    "t",
    sorted(set(EventName) - UNCHANGING),
)
def test_any_other_entry_of_the_guild_asks_afresh(cache: ViewCache, t: str) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1)])
    assert ask(cache, directory, {1, 2}) == {1, 2}
    directory.hidden.add((CHANNEL, 2))  # ... and the change's event is in the next batch
    cache.observe(0, [entry(2), entry(3, t)])
    assert ask(cache, directory, {1, 2}) == {1}
    assert directory.asked == [{1, 2}, {1, 2}]


def test_another_guilds_change_keeps_this_guilds_answer(cache: ViewCache) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1)])
    ask(cache, directory, {1})
    cache.observe(0, [entry(2, EventName.GUILD_ROLE_UPDATE, Scope.guild(OTHER_GUILD))])
    ask(cache, directory, {1})
    assert len(directory.asked) == 1


def test_a_change_of_no_guild_drops_every_answer(cache: ViewCache) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1)])
    ask(cache, directory, {1})
    cache.observe(0, [entry(2, EventName.GUILD_DELETE, Scope.user(1))])
    ask(cache, directory, {1})
    assert len(directory.asked) == 2


def test_a_gap_in_the_log_drops_every_answer(cache: ViewCache) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1), entry(2)])
    ask(cache, directory, {1})
    cache.observe(0, [entry(5)])  # 3 and 4 went to another container
    ask(cache, directory, {1})
    cache.observe(0, [entry(6)])
    ask(cache, directory, {1})
    assert len(directory.asked) == 2


def test_a_shards_answers_are_its_own(cache: ViewCache) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1)])
    ask(cache, directory, {1})
    assert cache.who_can_view(directory, 1, GUILD, CHANNEL, {1}) == {1}
    assert len(directory.asked) == 2


def test_an_answer_is_kept_no_longer_than_its_max_age(cache: ViewCache, clock: Clock) -> None:
    directory = guild_directory()
    cache.observe(0, [entry(1)])
    ask(cache, directory, {1})
    clock.now += MAX_AGE_S
    ask(cache, directory, {1})
    assert len(directory.asked) == 1
    clock.now += 0.001
    ask(cache, directory, {1})
    assert len(directory.asked) == 2


def _channel_event(t: str, d: dict[str, Any] | None = None) -> LogEvent:
    d = d if d is not None else {"id": str(CHANNEL), "name": "secret", "type": 0}
    return LogEvent(t=t, d=d, scope=Scope.guild(GUILD), channel_id=CHANNEL)


def test_a_deleted_channel_is_judged_as_its_event_shows_it_never_from_the_cache() -> None:
    directory = guild_directory()
    directory.hidden.add((CHANNEL, 2))  # ... and so the deleted channel's JSON shows it
    cache = ViewCache(Clock())
    shown = {"id": str(CHANNEL), "name": "secret", "type": 0}
    deleted = _channel_event(
        EventName.CHANNEL_DELETE, {**shown, "permission_overwrites": [hidden_overwrite(2)]}
    )
    assert viewers_of(directory, deleted, {1, 2}, (cache, 0)) == {1}
    assert directory.judged == [deleted.d]
    assert directory.asked == []  # not the stored channel (gone), not the cache


def test_other_channel_events_are_answered_through_the_cache_when_given() -> None:
    directory = guild_directory()
    cache = ViewCache(Clock())
    update = _channel_event(EventName.CHANNEL_UPDATE)
    assert viewers_of(directory, update, {1}, (cache, 0)) == {1}
    assert viewers_of(directory, update, {1}, (cache, 0)) == {1}
    assert directory.asked == [{1}]  # the second answer was kept
    assert viewers_of(directory, update, {1}) == {1}
    assert directory.asked == [{1}, {1}]  # no cache given: asked


def test_an_event_of_no_channel_has_no_viewers_to_ask_about() -> None:
    with pytest.raises(ValueError, match="not an event of a guild's channel"):
        viewers_of(
            guild_directory(), LogEvent(t="GUILD_UPDATE", d={}, scope=Scope.guild(GUILD)), {1}
        )


def test_a_channel_update_hidden_from_someone_is_its_deletion_with_nothing_else_of_it() -> None:
    full = {"id": "70", "guild_id": "7", "type": 0, "parent_id": "5", "name": "x", "topic": "y"}
    hidden = _channel_event(EventName.CHANNEL_UPDATE, full).as_hidden()
    assert hidden is not None
    assert hidden.t == "CHANNEL_DELETE"
    assert hidden.d == {"id": "70", "guild_id": "7", "type": 0, "parent_id": "5"}
    assert (hidden.scope, hidden.channel_id) == (Scope.guild(GUILD), CHANNEL)
    for t in (EventName.MESSAGE_CREATE, EventName.CHANNEL_CREATE, EventName.CHANNEL_DELETE):
        assert _channel_event(t).as_hidden() is None  # nothing of those
