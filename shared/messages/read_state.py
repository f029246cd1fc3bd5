"""Read markers: ack a message, and the unread/mention counts of every channel a user sees.

An ack moves the user's marker forward only (a conditional update: an older ack never moves
it back), drops the mentions it reads, and tells the user's sessions (a user-scoped
MESSAGE_ACK, in the same transaction). See docs/decisions.md, "DMs and read state".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from shared.guilds.access import Access, message_access
from shared.guilds.domain.permissions import Permission
from shared.messages.domain.read_state import (
    ChannelMarks,
    ReadState,
    mention_count,
    read_state_json,
)
from shared.messages.storage import messages as message_store
from shared.messages.storage import read_states
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.transaction import Transaction

__all__ = ["ack", "entries"]


def ack(channel_id: int, message_id: int, user_id: int) -> dict[str, Any]:
    """The caller has read ``channel_id`` up to ``message_id``; their read state after it."""
    now = datetime.now(UTC)
    access = message_access(channel_id, user_id, now)
    access.require(Permission.VIEW_CHANNEL)
    if message_store.get(channel_id, message_id) is None:
        raise message_store.unknown_message()
    state = read_states.get(user_id, channel_id)
    if state.is_newer(message_id):  # else already read that far: nothing moves or is told
        tx = Transaction()
        read_states.ack(tx, user_id, state, message_id)
        data = {"channel_id": str(channel_id), "message_id": str(message_id)}
        if access.guild_id is not None:
            data["guild_id"] = str(access.guild_id)
        event = GatewayEvent(EventName.MESSAGE_ACK, None, data, actor_id=user_id, user_id=user_id)
        outbox.emit(tx, event, now)
        with suppress(read_states.AckBehind):  # a concurrent ack went as far or further
            tx.commit()
    roles = access.member.roles if isinstance(access, Access) else ()
    return entries([channel_id], read_states.get(user_id, channel_id), roles)[0]


def entries(
    channel_ids: Iterable[int],
    states: ReadState | Mapping[int, ReadState],
    role_ids: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """READY ``read_state`` entries of channels (of one guild, or DMs): ``role_ids`` are the
    user's roles there."""
    channels = list(channel_ids)
    if isinstance(states, ReadState):
        states = {states.channel_id: states}
    roles = list(role_ids)
    marks: dict[int, ChannelMarks] = read_states.marks(channels, roles)
    out = []
    for channel in channels:
        state = states.get(channel, ReadState(channel))
        out.append(read_state_json(state, mention_count(state, marks[channel], roles)))
    return out
