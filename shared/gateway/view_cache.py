"""Who may see a channel, kept by a fan-out container while its log shows nothing changed it.

Delivering a channel's event asks the directory which of its listeners may VIEW_CHANNEL: a read
of the guild, the channel, the roles and every listener's member item, per message. Every change
that can alter the answer (roles, overwrites, membership, ownership, bans, a guild's deletion)
is written in the same transaction as its gateway event, and a guild's events share one outbox
partition, so the log holds them in commit order among the guild's messages. A container that
has read every entry of its shard's log since it asked therefore knows the answer is unchanged
until an entry says otherwise. So the answer is kept, per channel, and dropped:

- for a guild, at any of its entries but the kinds declared to change nothing here
  (``changes_views`` false in ``shared/gateway/domain/registry.py``: messages, reactions, pins,
  typing, presence, voice, invites, read markers); an entry of no guild (a DM's, a user's)
  that is not of those kinds drops them all, and so does an entry of a kind this code does not
  know;
- for the whole shard, when a batch does not start right after the last entry this container
  saw (another container handled the entries between, or this one is new);
- after :data:`MAX_AGE_S` in any case, a bound on anything the above misses.

A batch that holds a dropping entry asks the directory afresh for the whole batch, as the
fan-out always did. Listeners not asked before are asked for then (a new member's new session).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from shared.gateway.directory import Directory
from shared.gateway.domain.log_events import LogEvent
from shared.gateway.domain.registry import EVENTS, spec_of
from shared.gateway.storage.gateway_log import LogEntry
from shared.guilds.domain.permissions import Permission
from shared.outbox.domain.events import EventName

__all__ = ["MAX_AGE_S", "UNCHANGING", "Audience", "ViewCache", "audience", "viewers_of"]

#: Entry kinds that change no one's permissions: those declared so (``changes_views``).
UNCHANGING = frozenset(EventName(t) for t, spec in EVENTS.items() if not spec.changes_views)
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
    #: By guild, channel and the permission asked about.
    answers: dict[tuple[int, int, int], _Answer] = field(default_factory=dict)


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
            if not _changes_views(entry.event.t):
                continue
            guild_id = entry.event.guild_id
            if guild_id is None:
                kept.answers.clear()
            else:
                for where in [w for w in kept.answers if w[0] == guild_id]:
                    del kept.answers[where]
        kept.last_position = entries[-1].position

    def who_can_view(
        self,
        directory: Directory,
        shard: int,
        guild_id: int,
        channel_id: int,
        user_ids: set[int],
        permission: Permission = Permission.VIEW_CHANNEL,
    ) -> set[int]:
        """Those of ``user_ids`` who may see the channel (hold ``permission`` there); the
        directory is asked only about users it was not asked about since the answer was last
        dropped."""
        kept = self._shards.setdefault(shard, _Shard())
        now = self._clock()
        where = (guild_id, channel_id, int(permission))
        answer = kept.answers.get(where)
        if answer is None or now - answer.at > MAX_AGE_S:
            answer = kept.answers[where] = _Answer(set(), set(), now)
        unknown = user_ids - answer.asked
        if unknown:
            answer.viewers |= directory.who_can_view(guild_id, channel_id, unknown, permission)
            answer.asked |= unknown
        return answer.viewers & user_ids


def _changes_views(t: str) -> bool:
    """Whether an entry named ``t`` may change who sees what: as its declaration says, and
    always for a name this code does not know."""
    spec = spec_of(t)
    return spec is None or spec.changes_views


def viewers_of(
    directory: Directory,
    event: LogEvent,
    user_ids: set[int],
    kept: tuple[ViewCache, int] | None = None,
    permission: Permission = Permission.VIEW_CHANNEL,
) -> set[int]:
    """Those of ``user_ids`` who may see the channel of a channel-bound event (or hold
    ``permission`` there): a deleted channel as its CHANNEL_DELETE shows it (it is no longer
    stored, and those who saw it must hear it is gone: an event declared ``deletes_channel``);
    any other through ``kept`` (a
    container's cache and its shard) if given."""
    if event.guild_id is None or event.channel_id is None:
        raise ValueError("not an event of a guild's channel")
    spec = event.spec
    if spec is not None and spec.deletes_channel and isinstance(event.d, dict):
        return directory.who_could_view(event.guild_id, event.d, user_ids)
    if kept is not None:
        cache, shard = kept
        return cache.who_can_view(
            directory, shard, event.guild_id, event.channel_id, user_ids, permission
        )
    return directory.who_can_view(event.guild_id, event.channel_id, user_ids, permission)


@dataclass(frozen=True)
class Audience:
    """Who receives what of a channel-bound event: the whole event (they may view the channel
    and hold what it :attr:`~LogEvent.needs`), :meth:`~LogEvent.as_lacking` (viewers who lack
    that), :meth:`~LogEvent.as_hidden` (those who may not view it)."""

    whole: set[int]
    lacking: set[int]
    hidden: set[int]

    def told(self, event: LogEvent) -> list[tuple[LogEvent, set[int]]]:
        """``(event as told, users)`` pairs for one event of the channel (users may be none)."""
        told = [(event.as_sent(), self.whole)]
        if self.lacking and (lacking := event.as_lacking()) is not None:
            told.append((lacking, self.lacking))
        if self.hidden and (hidden := event.as_hidden()) is not None:
            told.append((hidden, self.hidden))
        return told


def audience(
    directory: Directory,
    event: LogEvent,
    user_ids: set[int],
    kept: tuple[ViewCache, int] | None = None,
) -> Audience:
    """How ``user_ids`` divide for a channel-bound event (see :class:`Audience`); it holds for
    every event of the channel with the same name and :attr:`~LogEvent.audience_key`."""
    seen = viewers_of(directory, event, user_ids, kept)
    moved_to = event.moved_to
    if moved_to is not None and seen:
        # Half of a move: those who see where they went hear that instead of this leave.
        seen = seen - viewers_of(directory, replace(event, channel_id=moved_to, d=None), seen, kept)
    whole = seen
    if event.needs and seen:
        whole = viewers_of(directory, event, seen, kept, Permission.VIEW_CHANNEL | event.needs)
    return Audience(whole=whole, lacking=seen - whole, hidden=user_ids - seen)
