"""Who may see a channel, kept by a fan-out container while its log shows nothing changed it.

Delivering a channel's event asks the directory which of its listeners may VIEW_CHANNEL: a read
of the guild, the channel, the roles and every listener's member item, per message. Every change
that can alter the answer (roles, overwrites, membership, ownership, bans, a guild's deletion)
is written in the same transaction as its gateway event, and a guild's events share one outbox
partition, so the log holds them in commit order among the guild's messages. A container that
has read every entry of its shard's log since it asked therefore knows the answer is unchanged
until an entry says otherwise. So the answer is kept, per channel, and dropped:

- for a guild, at any of its entries but the kinds that change nothing here
  (:data:`UNCHANGING`: messages, reactions, pins, typing, presence, voice, invites, read
  markers); an entry of no guild (a DM's, a user's) that is not of those kinds drops them all;
- for the whole shard, when a batch does not start right after the last entry this container
  saw (another container handled the entries between, or this one is new);
- after :data:`MAX_AGE_S` in any case, a bound on anything the above misses.

A batch that holds a dropping entry asks the directory afresh for the whole batch, as the
fan-out always did. Listeners not asked before are asked for then (a new member's new session).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shared.domain.events import EventName
from shared.gateway.directory import Directory
from shared.gateway.events import LogEvent
from shared.storage.gateway_log import LogEntry

__all__ = ["MAX_AGE_S", "UNCHANGING", "ViewCache", "viewers_of"]

#: Entry kinds that change no one's permissions.
UNCHANGING = frozenset(
    {
        EventName.MESSAGE_CREATE,
        EventName.MESSAGE_UPDATE,
        EventName.MESSAGE_DELETE,
        EventName.MESSAGE_REACTION_ADD,
        EventName.MESSAGE_REACTION_REMOVE,
        EventName.CHANNEL_PINS_UPDATE,
        EventName.TYPING_START,
        EventName.PRESENCE_UPDATE,
        EventName.VOICE_STATE_UPDATE,
        EventName.VOICE_SERVER_UPDATE,
        EventName.INVITE_CREATE,
        EventName.MESSAGE_ACK,
    }
)
#: The longest an answer is kept, whatever the log says.
MAX_AGE_S = 60.0


@dataclass
class _Answer:
    asked: set[int]
    viewers: set[int]
    at: float


@dataclass
class _Shard:
    last_position: int | None = None
    answers: dict[tuple[int, int], _Answer] = field(default_factory=dict)


class ViewCache:
    """The directory's ``who_can_view`` answers, per log shard, for one fan-out container."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._shards: dict[int, _Shard] = {}

    def observe(self, shard: int, entries: Sequence[LogEntry]) -> None:
        """Take in a batch's entries (in log order) before asking about any of them."""
        if not entries:
            return
        kept = self._shards.setdefault(shard, _Shard())
        if kept.last_position is None or entries[0].position != kept.last_position + 1:
            kept.answers.clear()
        for entry in entries:
            if entry.event.t in UNCHANGING:
                continue
            guild_id = entry.event.guild_id
            if guild_id is None:
                kept.answers.clear()
            else:
                for where in [w for w in kept.answers if w[0] == guild_id]:
                    del kept.answers[where]
        kept.last_position = entries[-1].position

    def who_can_view(
        self, directory: Directory, shard: int, guild_id: int, channel_id: int, user_ids: set[int]
    ) -> set[int]:
        """Those of ``user_ids`` who may see the channel; the directory is asked only about
        users it was not asked about since the answer was last dropped."""
        kept = self._shards.setdefault(shard, _Shard())
        now = self._clock()
        answer = kept.answers.get((guild_id, channel_id))
        if answer is None or now - answer.at > MAX_AGE_S:
            answer = kept.answers[(guild_id, channel_id)] = _Answer(set(), set(), now)
        unknown = user_ids - answer.asked
        if unknown:
            answer.viewers |= directory.who_can_view(guild_id, channel_id, unknown)
            answer.asked |= unknown
        return answer.viewers & user_ids


def viewers_of(
    directory: Directory,
    event: LogEvent,
    user_ids: set[int],
    kept: tuple[ViewCache, int] | None = None,
) -> set[int]:
    """Those of ``user_ids`` who may see the channel of a channel-bound event: a deleted
    channel as its CHANNEL_DELETE shows it (it is no longer stored, and those who saw it must
    hear it is gone); any other through ``kept`` (a container's cache and its shard) if given."""
    if event.guild_id is None or event.channel_id is None:
        raise ValueError("not an event of a guild's channel")
    if event.t == EventName.CHANNEL_DELETE and isinstance(event.d, dict):
        return directory.who_could_view(event.guild_id, event.d, user_ids)
    if kept is not None:
        cache, shard = kept
        return cache.who_can_view(directory, shard, event.guild_id, event.channel_id, user_ids)
    return directory.who_can_view(event.guild_id, event.channel_id, user_ids)
