"""Read state: the last message a user has read in a channel, and the mentions since then.

Unread is ``channel.last_message_id > last read``; clients compare the two. The mention count
has two parts (docs/decisions.md, "DMs and read state"): direct user mentions, kept per user as
the ids of the mentioning messages not yet read (one write per mentioned user, only when
mentioned), and broad mentions (``@everyone``, a role), kept once per channel as the id of the
latest such message: each adds at most one to the count, at read time, when it is newer than
the user's marker. Pure; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChannelMarks", "ReadState", "mention_count"]


@dataclass(frozen=True, slots=True)
class ChannelMarks:
    """What a channel keeps for unread counts: its newest message and latest broad mentions."""

    channel_id: int
    last_message_id: int | None = None
    last_everyone_id: int | None = None
    last_role_mention: Mapping[int, int] = field(default_factory=dict)  # role id -> message id


@dataclass(frozen=True, slots=True)
class ReadState:
    """One user's marker in one channel, and the ids of unread messages that mention them."""

    channel_id: int
    last_read_id: int | None = None
    mention_ids: frozenset[int] = frozenset()

    def is_newer(self, message_id: int | None) -> bool:
        """Whether ``message_id`` is past the marker (unread)."""
        return message_id is not None and (
            self.last_read_id is None or message_id > self.last_read_id
        )

    def stale_mentions(self, up_to: int) -> frozenset[int]:
        """The mention ids an ack of ``up_to`` reads (to drop from the set)."""
        return frozenset(m for m in self.mention_ids if m <= up_to)


def mention_count(state: ReadState, marks: ChannelMarks, role_ids: Iterable[int] = ()) -> int:
    """Unread mentions: each direct one since the marker, plus one for a newer ``@everyone``
    and one for a newer mention of a role the user has."""
    direct = sum(1 for m in state.mention_ids if state.is_newer(m))
    everyone = int(state.is_newer(marks.last_everyone_id))
    roles = int(any(state.is_newer(marks.last_role_mention.get(r)) for r in role_ids))
    return direct + everyone + roles


def read_state_json(state: ReadState, count: int) -> dict[str, Any]:
    """A READY ``read_state`` entry. ``id`` and ``channel_id`` both name the channel (the
    desktop client reads ``id``); ``last_message_id`` is the last message the user read."""
    channel = str(state.channel_id)
    return {
        "id": channel,
        "channel_id": channel,
        "last_message_id": None if state.last_read_id is None else str(state.last_read_id),
        "mention_count": count,
    }


__all__ += ["read_state_json"]
