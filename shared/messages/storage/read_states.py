"""Unread bookkeeping: each channel's newest message and broad mentions, each user's markers.

``PK=CHANNEL#c, SK=STATE``: ``last_message_id`` (only moves forward) and ``last_everyone_id``,
updated in the message's own transaction. ``PK=CHANNEL#c, SK=ROLEMENTION#r``: the latest
message there that mentioned role ``r``. ``PK=USER#u, SK=READ#c``: the user's marker
(``last_read_id``, only moves forward) and ``mention_ids``, the unread messages that mention
them (added by the message's transaction, dropped by the ack that reads them).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import NumberAttribute, NumberSetAttribute
from pynamodb.expressions.update import Action

from shared.errors import Conflict
from shared.messages.domain.read_state import ChannelMarks, ReadState
from shared.table.entity import Entity, store_errors
from shared.table.keys import (
    CHANNEL_STATE_SK,
    READ_STATE_SK_PREFIX,
    channel_pk,
    read_state_sk,
    role_mention_sk,
    user_pk,
)
from shared.table.transaction import Transaction

__all__ = [
    "AckBehind",
    "ChannelBehind",
    "ack",
    "advance_channel",
    "get",
    "marks",
    "of_user",
    "record_mentions",
]

_BATCH = 100


class ChannelBehind(Conflict):
    """A newer message already moved the channel's ``last_message_id``."""

    code = "channel_state_behind"

    def __init__(self) -> None:
        super().__init__("A newer message is already the channel's last.")


class AckBehind(Conflict):
    """The user's marker is already at or past the acked message."""

    code = "ack_behind"

    def __init__(self) -> None:
        super().__init__("The read marker is already past that message.")


class ChannelStateRecord(Entity, discriminator="channel_state"):
    channel_id = NumberAttribute()
    last_message_id = NumberAttribute(null=True)
    last_everyone_id = NumberAttribute(null=True)


class RoleMentionRecord(Entity, discriminator="role_mention"):
    channel_id = NumberAttribute()
    role_id = NumberAttribute()
    message_id = NumberAttribute()


class ReadStateRecord(Entity, discriminator="read_state"):
    channel_id = NumberAttribute()
    last_read_id = NumberAttribute(null=True)
    mention_ids = NumberSetAttribute(null=True)


def advance_channel(
    tx: Transaction,
    channel_id: int,
    message_id: int,
    *,
    everyone: bool,
) -> None:
    """The channel's newest message is ``message_id`` (and its latest ``@everyone``, if it
    mentions everyone); fails with :class:`ChannelBehind` if a newer one is already there."""
    state = ChannelStateRecord
    actions: list[Action] = [
        state.kind.set(ChannelStateRecord),
        state.channel_id.set(channel_id),
        state.last_message_id.set(message_id),
    ]
    if everyone:
        actions.append(state.last_everyone_id.set(message_id))
    tx.update(
        ChannelStateRecord(channel_pk(channel_id), CHANNEL_STATE_SK),
        actions=actions,
        condition=state.last_message_id.does_not_exist() | (state.last_message_id < message_id),
        on_fail=ChannelBehind(),
    )


def record_role_mentions(
    tx: Transaction, channel_id: int, message_id: int, role_ids: Iterable[int]
) -> None:
    """The latest mention of each role in the channel (read at read time: no write per member)."""
    for role_id in role_ids:
        tx.update(
            RoleMentionRecord(channel_pk(channel_id), role_mention_sk(role_id)),
            actions=[
                RoleMentionRecord.kind.set(RoleMentionRecord),
                RoleMentionRecord.channel_id.set(channel_id),
                RoleMentionRecord.role_id.set(role_id),
                RoleMentionRecord.message_id.set(message_id),
            ],
        )


def record_mentions(
    tx: Transaction, channel_id: int, message_id: int, user_ids: Iterable[int]
) -> None:
    """Each mentioned user's set of unread mentions gains the message (one update each)."""
    for user_id in user_ids:
        tx.update(
            ReadStateRecord(user_pk(user_id), read_state_sk(channel_id)),
            actions=[
                ReadStateRecord.kind.set(ReadStateRecord),
                ReadStateRecord.channel_id.set(channel_id),
                ReadStateRecord.mention_ids.add({message_id}),
            ],
        )


def ack(tx: Transaction, user_id: int, state: ReadState, message_id: int) -> None:
    """Move the user's marker forward to ``message_id``, dropping the mentions it reads;
    :class:`AckBehind` if the marker is already there or further."""
    record = ReadStateRecord
    actions: list[Action] = [
        record.kind.set(ReadStateRecord),
        record.channel_id.set(state.channel_id),
        record.last_read_id.set(message_id),
    ]
    stale = state.stale_mentions(message_id)
    if stale:
        # DELETE of exactly the ids read: a mention added meanwhile (a newer message) stays.
        actions.append(record.mention_ids.delete(set(stale)))
    tx.update(
        ReadStateRecord(user_pk(user_id), read_state_sk(state.channel_id)),
        actions=actions,
        condition=record.last_read_id.does_not_exist() | (record.last_read_id < message_id),
        on_fail=AckBehind(),
    )


def _state(record: ReadStateRecord) -> ReadState:
    return ReadState(
        channel_id=int(record.channel_id),
        last_read_id=None if record.last_read_id is None else int(record.last_read_id),
        mention_ids=frozenset(int(m) for m in record.mention_ids or ()),
    )


def get(user_id: int, channel_id: int) -> ReadState:
    """The user's read state in a channel (an empty one if they never read or were mentioned)."""
    with store_errors():
        try:
            record = ReadStateRecord.get(
                user_pk(user_id), read_state_sk(channel_id), consistent_read=True
            )
        except ReadStateRecord.DoesNotExist:
            return ReadState(channel_id)
    return _state(record)


def of_user(user_id: int) -> dict[int, ReadState]:
    """Every read state the user has, by channel: one Query of their ``READ#`` items."""
    with store_errors():
        records = ReadStateRecord.query(
            user_pk(user_id), ReadStateRecord.sk.startswith(READ_STATE_SK_PREFIX)
        )
        return {int(r.channel_id): _state(r) for r in records if isinstance(r, ReadStateRecord)}


def marks(channel_ids: Iterable[int], role_ids: Iterable[int] = ()) -> dict[int, ChannelMarks]:
    """Each channel's newest message and broad-mention marks (BatchGets of 100 keys)."""
    channels = list(dict.fromkeys(channel_ids))
    roles = list(dict.fromkeys(role_ids))
    keys = [(channel_pk(c), CHANNEL_STATE_SK) for c in channels]
    keys += [(channel_pk(c), role_mention_sk(r)) for c in channels for r in roles]
    last: dict[int, tuple[int | None, int | None]] = {}
    by_role: dict[int, dict[int, int]] = {c: {} for c in channels}
    with store_errors():
        for start in range(0, len(keys), _BATCH):
            for item in Entity.batch_get(keys[start : start + _BATCH]):
                if isinstance(item, ChannelStateRecord):
                    last[int(item.channel_id)] = (
                        None if item.last_message_id is None else int(item.last_message_id),
                        None if item.last_everyone_id is None else int(item.last_everyone_id),
                    )
                elif isinstance(item, RoleMentionRecord):
                    by_role[int(item.channel_id)][int(item.role_id)] = int(item.message_id)
    return {
        c: ChannelMarks(
            channel_id=c,
            last_message_id=last.get(c, (None, None))[0],
            last_everyone_id=last.get(c, (None, None))[1],
            last_role_mention=by_role[c],
        )
        for c in channels
    }


__all__ += ["record_role_mentions"]
