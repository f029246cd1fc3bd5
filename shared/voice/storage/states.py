"""Voice states and rooms in the single table.

- A voice state: ``PK=GUILD#g, SK=VOICE#u`` — one per member per guild; the guild's states are
  one Query (``GUILD_CREATE.voice_states``, a room's participants).
- A room: ``PK=VOICEROOM#c, SK=ROOM`` — the node holding the channel's room and ``count``, the
  voice states in it (the user limit is a condition on it, so two joins can never both take
  the last place). Indexed in GSI1 under ``VOICEROOMS`` / ``<node>#<channel>``: the voice watcher
  lists every room with one Query (never on a request path).

Every change is one transaction with its ``VOICE_STATE_UPDATE`` outbox item.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.errors import Forbidden
from shared.gateway.domain.log_events import MOVED_TO
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage.outbox import emit
from shared.table.entity import Entity, store_errors
from shared.table.keys import (
    VOICE_ROOM_SK,
    VOICE_ROOMS_GSI1PK,
    VOICE_SK_PREFIX,
    guild_pk,
    voice_room_gsi1sk,
    voice_room_pk,
    voice_state_sk,
)
from shared.table.transaction import StaleWrite, Transaction
from shared.voice.domain.states import Room, VoiceState

__all__ = [
    "RoomItem",
    "VoiceStateItem",
    "all_rooms",
    "channel_full",
    "get_room",
    "get_state",
    "guild_states",
    "move_room",
    "remove_state",
    "save_state",
    "update_state",
]


def channel_full() -> Forbidden:
    return Forbidden("The voice channel is full.", code="voice_channel_full")


class VoiceStateItem(Entity, discriminator="voice_state"):
    guild_id = NumberAttribute()
    user_id = NumberAttribute()
    channel_id = NumberAttribute()
    session_id = UnicodeAttribute()
    self_mute = BooleanAttribute(default=False)
    self_deaf = BooleanAttribute(default=False)
    mute = BooleanAttribute(default=False)
    deaf = BooleanAttribute(default=False)
    suppress = BooleanAttribute(default=False)
    speaking = BooleanAttribute(default=False)

    def to_state(self) -> VoiceState:
        return VoiceState(
            guild_id=int(self.guild_id),
            user_id=int(self.user_id),
            channel_id=int(self.channel_id),
            session_id=self.session_id,
            self_mute=bool(self.self_mute),
            self_deaf=bool(self.self_deaf),
            mute=bool(self.mute),
            deaf=bool(self.deaf),
            suppress=bool(self.suppress),
            speaking=bool(self.speaking),
        )


class RoomItem(Entity, discriminator="voice_room"):
    guild_id = NumberAttribute()
    channel_id = NumberAttribute()
    node_id = UnicodeAttribute()
    occupants = NumberAttribute(default=0, attr_name="count")

    def to_room(self) -> Room:
        return Room(
            guild_id=int(self.guild_id),
            channel_id=int(self.channel_id),
            node_id=self.node_id,
            count=int(self.occupants),
        )


def _state_item(state: VoiceState) -> VoiceStateItem:
    return VoiceStateItem(
        guild_pk(state.guild_id),
        voice_state_sk(state.user_id),
        guild_id=state.guild_id,
        user_id=state.user_id,
        channel_id=state.channel_id,
        session_id=state.session_id,
        self_mute=state.self_mute,
        self_deaf=state.self_deaf,
        mute=state.mute,
        deaf=state.deaf,
        suppress=state.suppress,
        speaking=state.speaking,
    )


def _room_key(channel_id: int) -> RoomItem:
    return RoomItem(voice_room_pk(channel_id), VOICE_ROOM_SK)


def get_state(guild_id: int, user_id: int) -> VoiceState | None:
    with store_errors():
        try:
            item = VoiceStateItem.get(
                guild_pk(guild_id), voice_state_sk(user_id), consistent_read=True
            )
        except VoiceStateItem.DoesNotExist:
            return None
    return item.to_state()


def guild_states(guild_id: int) -> list[VoiceState]:
    """Every voice state of a guild (one Query of the guild's ``VOICE#`` range)."""
    with store_errors():
        return [
            item.to_state()
            for item in VoiceStateItem.query(
                guild_pk(guild_id),
                VoiceStateItem.sk.startswith(VOICE_SK_PREFIX),
                consistent_read=True,
            )
        ]


def get_room(channel_id: int) -> Room | None:
    with store_errors():
        try:
            item = RoomItem.get(voice_room_pk(channel_id), VOICE_ROOM_SK, consistent_read=True)
        except RoomItem.DoesNotExist:
            return None
    return item.to_room()


def all_rooms() -> list[Room]:
    """Every room (the voice watcher's Query of GSI1; eventually consistent, as GSIs are)."""
    with store_errors():
        return [
            item.to_room()
            for item in RoomItem.gsi1.query(VOICE_ROOMS_GSI1PK)
            if isinstance(item, RoomItem)
        ]


def _event(state: VoiceState, data: dict[str, object], actor_id: int | None) -> GatewayEvent:
    """Bound to the state's channel: only those who may see that channel hear who is in it
    (a leave, ``channel_id`` null in ``data``, to those who could see the channel left)."""
    return GatewayEvent(
        name=EventName.VOICE_STATE_UPDATE,
        guild_id=state.guild_id,
        data=data,
        actor_id=actor_id,
        channel_id=state.channel_id,
    )


def _enter_room(
    tx: Transaction, state: VoiceState, room: Room | None, node_id: str, user_limit: int
) -> None:
    """One more in the channel's room, on ``node_id``; refused at the user limit."""
    item = _room_key(state.channel_id)
    actions: list[Action] = [
        RoomItem.occupants.add(1),
        RoomItem.node_id.set(node_id),
        RoomItem.guild_id.set(state.guild_id),
        RoomItem.channel_id.set(state.channel_id),
        RoomItem.kind.set(RoomItem),
        RoomItem.gsi1pk.set(VOICE_ROOMS_GSI1PK),
        RoomItem.gsi1sk.set(voice_room_gsi1sk(node_id, state.channel_id)),
    ]
    # The room as read: its node unchanged (the watcher may be moving it), and a place free.
    condition: Condition = (
        RoomItem.pk.does_not_exist()
        if room is None
        else (RoomItem.node_id == room.node_id) & RoomItem.occupants.exists()
    )
    if user_limit > 0:
        limit = RoomItem.pk.does_not_exist() | (RoomItem.occupants < user_limit)
        condition = condition & limit
    room_stale = room is not None and (user_limit == 0 or room.count < user_limit)
    tx.update(
        item,
        actions=actions,
        condition=condition,
        on_fail=StaleWrite("The room changed; try again.") if room_stale else channel_full(),
    )


def _leave_room(tx: Transaction, channel_id: int) -> None:
    tx.update(
        _room_key(channel_id),
        actions=[RoomItem.occupants.add(-1)],
        condition=RoomItem.occupants > 0,
        on_fail=StaleWrite("The room changed; try again."),
    )


def _same_as(current: VoiceState | None) -> Condition:
    if current is None:
        return VoiceStateItem.pk.does_not_exist()
    return (VoiceStateItem.channel_id == current.channel_id) & (
        VoiceStateItem.session_id == current.session_id
    )


def save_state(
    state: VoiceState,
    *,
    current: VoiceState | None,
    room: Room | None,
    node_id: str,
    user_limit: int,
    now: datetime,
) -> None:
    """Join or move: the state written, its room entered (the old one left), the event emitted."""
    tx = Transaction()
    if current is None or current.channel_id != state.channel_id:
        _enter_room(tx, state, room, node_id, user_limit)
        if current is not None:
            _leave_room(tx, current.channel_id)
            # Those who see the old channel but not the new one see them leave it (the others
            # see the new state only; ``moved_to`` is the fan-out's, never sent).
            left = {**current.left_json(), MOVED_TO: str(state.channel_id)}
            emit(tx, _event(current, left, state.user_id), now)
    tx.put(
        _state_item(state),
        condition=_same_as(current),
        on_fail=StaleWrite("The voice state changed; try again."),
    )
    emit(tx, _event(state, state.as_json(), state.user_id), now)
    tx.commit()


def update_state(
    state: VoiceState, *, current: VoiceState, actor_id: int | None, now: datetime
) -> None:
    """Flags changed in place (self/server mute and deafen, speaking); the event emitted."""
    tx = Transaction()
    tx.put(
        _state_item(state),
        condition=_same_as(current),
        on_fail=StaleWrite("The voice state changed; try again."),
    )
    emit(tx, _event(state, state.as_json(), actor_id), now)
    tx.commit()


def remove_state(current: VoiceState, *, actor_id: int | None, now: datetime) -> None:
    """Leave: the state deleted, its room left, ``VOICE_STATE_UPDATE`` with a null channel."""
    tx = Transaction()
    tx.delete(
        _state_item(current),
        condition=_same_as(current),
        on_fail=StaleWrite("The voice state changed; try again."),
    )
    _leave_room(tx, current.channel_id)
    emit(tx, _event(current, current.left_json(), actor_id), now)
    tx.commit()


def move_room(room: Room, node_id: str) -> bool:
    """Re-allocate a room from its (dead) node to ``node_id``; False if it changed meanwhile."""
    tx = Transaction()
    tx.update(
        _room_key(room.channel_id),
        actions=[
            RoomItem.node_id.set(node_id),
            RoomItem.gsi1sk.set(voice_room_gsi1sk(node_id, room.channel_id)),
        ],
        condition=RoomItem.node_id == room.node_id,
        on_fail=StaleWrite("The room moved meanwhile."),
    )
    try:
        tx.commit()
    except StaleWrite:
        return False
    return True


def states_in(states: Iterable[VoiceState], channel_id: int) -> list[VoiceState]:
    return [s for s in states if s.channel_id == channel_id]
