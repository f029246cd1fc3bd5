"""Voice: joining, moving and leaving voice channels; server mute; the watcher that moves rooms.

The gateway's op 4 (``VOICE_STATE_UPDATE``) lands in :func:`update_voice_state`: it checks the
member's CONNECT in the channel and the channel's user limit, picks the room's media node
(``shared.voice.domain.nodes.pick_node``: a room stays on its node while it lives), records the
voice state and its room in one transaction with the guild's ``VOICE_STATE_UPDATE`` outbox item, and
returns ``VOICE_SERVER_UPDATE.d`` with a voice token for that node, which the gateway sends to the
joining session only. :func:`watch` (a scheduled function) moves the rooms of nodes that stopped
heartbeating and tells each participant's session, and makes members whose session went away
leave after the grace period. See docs/voice.md.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.config import get_settings
from shared.errors import Invalid, Unavailable
from shared.gateway.connections import ConnectionGone, post_frame
from shared.gateway.domain.protocol import Frame, Op
from shared.gateway.storage import sessions
from shared.guilds.access import channel_access, guild_access, holders, missing
from shared.guilds.domain.channel import ChannelType
from shared.guilds.domain.permissions import Permission
from shared.guilds.storage import channels as channel_store
from shared.observability import logger
from shared.outbox.domain.events import EventName
from shared.table.retry import retry_stale
from shared.table.transaction import StaleWrite
from shared.voice.control import disconnect_member, set_member_flags
from shared.voice.domain.nodes import NodeRecord, live_nodes, pick_node
from shared.voice.domain.states import Room, VoiceState, VoiceStateRequest, server_update
from shared.voice.storage import states as store
from shared.voice.storage.nodes import list_nodes
from shared.voice.storage.speaking_reports import SpeakingReport

__all__ = [
    "WatchReport",
    "apply_speaking_report",
    "enforce",
    "guild_voice_states",
    "regions",
    "report_speaking",
    "set_server_flags",
    "update_voice_state",
    "watch",
    "watch_once",
]

#: What being in a voice channel takes, joining and staying.
_STAY = Permission.VIEW_CHANNEL | Permission.CONNECT


def _token(node: NodeRecord, state: VoiceState) -> str:
    # Imported by a join alone: token signing (PyJWT, cryptography) is no cost of every cold
    # start of the functions that import this service (guilds, the gateway, the fan-out).
    from shared.voice.token_keys import load_voice_keys
    from shared.voice.voice_tokens import mint_voice_token

    settings = get_settings()
    keys = load_voice_keys(settings)
    return mint_voice_token(
        keys.private_pem,
        kid=keys.kid,
        node_id=node.node_id,
        user_id=str(state.user_id),
        guild_id=str(state.guild_id),
        channel_id=str(state.channel_id),
        server_mute=state.server_mute,
        server_deaf=state.deaf,
        ttl_s=settings.voice_token_ttl_s,
    )


def _grant(node: NodeRecord, state: VoiceState) -> dict[str, Any]:
    return server_update(state.guild_id, state.channel_id, node.endpoint, _token(node, state))


def _tell_session(state: VoiceState, d: dict[str, Any]) -> bool:
    """Send ``VOICE_SERVER_UPDATE`` to the state's own session (not logged: session-only)."""
    session = sessions.get_session(state.user_id, state.session_id)
    if session is None or not (session.connection_id and session.domain_name and session.stage):
        return False
    frame = Frame(op=Op.DISPATCH, t=EventName.VOICE_SERVER_UPDATE, s=None, d=d)
    try:
        post_frame(session.domain_name, session.stage, session.connection_id, frame)
    except ConnectionGone:
        return False
    return True


def _node_of(room: Room | None, nodes: list[NodeRecord]) -> NodeRecord | None:
    if room is None:
        return None
    return next((n for n in nodes if n.node_id == room.node_id), None)


def _leave(current: VoiceState, actor_id: int | None, now: datetime) -> None:
    """Remove the state; then (best effort) disconnect the participant on its node."""
    store.remove_state(current, actor_id=actor_id, now=now)
    _disconnect(current, now)


def _disconnect(current: VoiceState, now: datetime) -> None:
    """Best effort: the participant's connection to ``current``'s room is closed by its node."""
    node = _node_of(store.get_room(current.channel_id), list_nodes())
    if node is None or not node.alive(now.timestamp()):
        return
    try:
        disconnect_member(node.node_id, node.endpoint, current.channel_id, current.user_id)
    except Unavailable:
        logger.warning("could not disconnect a participant", extra={"node_id": node.node_id})


@retry_stale
def update_voice_state(
    user_id: int, session_id: str, request: VoiceStateRequest, now: datetime | None = None
) -> dict[str, Any] | None:
    """Op 4: join, move, leave, or change self flags; ``VOICE_SERVER_UPDATE.d`` on a (re)join."""
    now = now or datetime.now(UTC)
    current = store.get_state(request.guild_id, user_id)
    if request.channel_id is None:
        if current is None:
            guild_access(request.guild_id, user_id, now)  # 404 for a guild they are not in
            return None
        _leave(current, user_id, now)
        return None
    access = channel_access(request.channel_id, user_id, now)
    channel = access.channel
    if channel is None or access.guild.id != request.guild_id:
        raise Invalid("The channel is not in this guild.", code="channel_not_in_guild")
    if channel.type is not ChannelType.VOICE:
        raise Invalid("Only a voice channel can be joined.", code="not_voice_channel")
    access.require(_STAY)
    state = VoiceState(
        guild_id=request.guild_id,
        user_id=user_id,
        channel_id=channel.id,
        session_id=session_id,
        self_mute=request.self_mute,
        self_deaf=request.self_deaf,
        mute=current.mute if current is not None else False,
        deaf=current.deaf if current is not None else False,
        suppress=not access.permissions & Permission.SPEAK,
    )
    if current is not None and (current.channel_id, current.session_id) == (
        state.channel_id,
        state.session_id,
    ):
        state = state.with_(speaking=current.speaking)  # flags change; speaking is the node's
        if state != current:
            store.update_state(state, current=current, actor_id=user_id, now=now)
        return _regrant_if_node_died(state, now)
    nodes = list_nodes()
    seconds = now.timestamp()
    room = store.get_room(channel.id)
    if room is not None and room.count > 0 and _node_of(room, live_nodes(nodes, seconds)) is None:
        _relocate(room, nodes, seconds)  # its node died: move the others too, not just us
        room = store.get_room(channel.id)
    node = pick_node(nodes, now=seconds, room_node_id=room.node_id if room else None)
    if node is None:
        raise Unavailable("No voice server is available; try again.", code="no_voice_server")
    store.save_state(
        state,
        current=current,
        room=room,
        node_id=node.node_id,
        # Those who may move members may also join a full channel (as on Discord).
        user_limit=0 if access.permissions & Permission.MOVE_MEMBERS else channel.user_limit or 0,
        now=now,
    )
    if current is not None and current.channel_id != state.channel_id:
        _disconnect(current, now)  # moved: the old room lets go of them now
    return _grant(node, state)


def _regrant_if_node_died(state: VoiceState, now: datetime) -> dict[str, Any] | None:
    """The same channel again from the same session: a client whose media connection failed
    asks again. If the room's node stopped heartbeating, the room moves now (the others are
    told) and this session gets a token for the new node; otherwise only the flags changed."""
    nodes = list_nodes()
    seconds = now.timestamp()
    room = store.get_room(state.channel_id)
    if room is None or _node_of(room, live_nodes(nodes, seconds)) is not None:
        return None
    if not _relocate(room, nodes, seconds, skip_user_id=state.user_id):
        moved = store.get_room(state.channel_id)
        if moved is None or moved.node_id == room.node_id:
            raise Unavailable("No voice server is available; try again.", code="no_voice_server")
        return None  # moved meanwhile by another: its mover told every session, this one too
    node = _node_of(store.get_room(state.channel_id), nodes)
    return None if node is None else _grant(node, state)


def guild_voice_states(guild_id: int, visible: Collection[int]) -> list[dict[str, Any]]:
    """``GUILD_CREATE.voice_states``: those in the ``visible`` channels (the receiver's)."""
    return [s.as_json() for s in store.guild_states(guild_id) if s.channel_id in visible]


@retry_stale
def set_server_flags(
    guild_id: int,
    actor_id: int,
    target_id: int,
    *,
    mute: bool | None,
    deaf: bool | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Server mute/deafen (MUTE_MEMBERS / DEAFEN_MEMBERS in the target's voice channel).

    Recorded first (the state is the truth, and a rejoin's token carries it), then sent to the
    node; a node that cannot be reached is a 503 the moderator may retry (it is idempotent).
    """
    now = now or datetime.now(UTC)
    access = guild_access(guild_id, actor_id, now)
    current = store.get_state(guild_id, target_id)
    if current is None:
        raise Invalid("The member is not in a voice channel.", code="not_in_voice")
    found = channel_store.get(guild_id, current.channel_id)
    permissions = access.permissions_in(found[0] if found is not None else None)
    needed = Permission(0)
    if mute is not None:
        needed |= Permission.MUTE_MEMBERS
    if deaf is not None:
        needed |= Permission.DEAFEN_MEMBERS
    if permissions & needed != needed:
        raise missing(needed)
    state = current.with_(
        mute=current.mute if mute is None else mute, deaf=current.deaf if deaf is None else deaf
    )
    if state != current:
        store.update_state(state, current=current, actor_id=actor_id, now=now)
    node = _node_of(store.get_room(state.channel_id), list_nodes())
    if node is not None and node.alive(now.timestamp()):
        set_member_flags(
            node.node_id,
            node.endpoint,
            state.channel_id,
            state.user_id,
            mute=state.server_mute,
            deaf=state.deaf,
        )
    return state.as_json()


def report_speaking(
    guild_id: int, channel_id: int, user_id: int, speaking: bool, now: datetime | None = None
) -> bool:
    """A node reports a participant started or stopped speaking: the guild hears it."""
    current = store.get_state(guild_id, user_id)
    if current is None or current.channel_id != channel_id or current.speaking == speaking:
        return False
    try:
        store.update_state(
            current.with_(speaking=speaking),
            current=current,
            actor_id=user_id,
            now=now or datetime.now(UTC),
        )
    except StaleWrite:
        return False  # they moved or left meanwhile: nothing to report
    return True


def apply_speaking_report(report: SpeakingReport) -> bool:
    """A node's report, from the stream: applied only if the room is on that node."""
    room = store.get_room(report.channel_id)
    if room is None or room.node_id != report.node_id or room.guild_id != report.guild_id:
        return False  # a node speaks only for the rooms it holds
    return report_speaking(report.guild_id, report.channel_id, report.user_id, report.speaking)


def regions(now: float | None = None) -> list[dict[str, Any]]:
    """``GET /voice/regions``: the regions with a live node, least loaded first."""
    live = live_nodes(list_nodes(), time.time() if now is None else now)
    load: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for node in live:
        load[node.region][0] += node.load
        load[node.region][1] += node.capacity
    ordered = sorted(load, key=lambda r: (load[r][0] / load[r][1], r))
    return [
        {"id": r, "name": r, "optimal": i == 0, "deprecated": False, "custom": False}
        for i, r in enumerate(ordered)
    ]


# ---------------------------------------------------------------- the watcher
@dataclass
class WatchReport:
    rooms: int = 0
    moved: int = 0
    told: int = 0
    left: int = 0


def _relocate(
    room: Room,
    nodes: list[NodeRecord],
    now: float,
    report: WatchReport | None = None,
    skip_user_id: int | None = None,
) -> bool:
    """Move a dead node's room to the least loaded live node; tell each participant's session
    (but ``skip_user_id``'s, which the caller answers itself). False if no live node has room,
    or the room moved meanwhile: the move is conditional, so two movers never both move it."""
    node = pick_node(nodes, now=now)
    if node is None:
        logger.warning("no live media node to move a room to", extra={"room": room.channel_id})
        return False
    if not store.move_room(room, node.node_id):
        return False
    logger.info(
        "moved a room", extra={"room": room.channel_id, "from": room.node_id, "to": node.node_id}
    )
    told = 0
    for state in store.states_in(store.guild_states(room.guild_id), room.channel_id):
        if state.user_id != skip_user_id:
            told += _tell_session(state, _grant(node, state))
    if report is not None:
        report.moved += 1
        report.told += told
    return True


def _gone(session: sessions.SessionItem | None, now_ms: int, grace_ms: int) -> bool:
    if session is None:
        return True
    if session.connection_id is not None:
        return False
    return session.disconnected_ms is not None and now_ms - int(session.disconnected_ms) >= grace_ms


def _may_stay(guild_id: int, states: list[VoiceState], now: datetime) -> dict[int, set[int]]:
    """By voice channel, who of those in it may still be there: members who may VIEW_CHANNEL
    and CONNECT in it now. Not those kicked or banned, nor those whose channel was deleted,
    whose CONNECT (or VIEW_CHANNEL) an overwrite or a role change took away, or who were timed
    out (a timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY)."""
    by_channel: dict[int, list[int]] = defaultdict(list)
    for state in states:
        by_channel[state.channel_id].append(state.user_id)
    stays: dict[int, set[int]] = {}
    for channel_id, user_ids in by_channel.items():
        found = channel_store.get(guild_id, channel_id)
        if found is not None:
            stays[channel_id] = holders(guild_id, found[0].overwrites, user_ids, _STAY, now)
    return stays


def enforce(guild_id: int, actor_id: int | None, channel_id: int | None = None) -> int:
    """After a change that may take CONNECT or VIEW_CHANNEL away (a role, an overwrite, a role
    given or taken, a timeout): those in voice in the guild (or in ``channel_id``) who may no
    longer be there leave now, as a leave does (their state cleared, ``VOICE_STATE_UPDATE``
    with ``channel_id`` null, the node told to drop them). One Query when nobody is in voice;
    the watcher's pass is the backstop for a change this misses. How many left."""
    states = store.guild_states(guild_id)
    if channel_id is not None:
        states = store.states_in(states, channel_id)
    if not states:
        return 0
    now = datetime.now(UTC)
    stays = _may_stay(guild_id, states, now)
    left = 0
    for state in states:
        if state.user_id not in stays.get(state.channel_id, set()):
            try:
                _leave(state, actor_id, now)
                left += 1
            except StaleWrite:
                pass  # they moved or left meanwhile: their next check is the watcher's
    return left


def watch_once(now: float | None = None) -> WatchReport:
    """One pass: move rooms off dead nodes; make members of departed sessions leave, and those
    who may no longer be in their channel (see :func:`_may_stay`)."""
    now = time.time() if now is None else now
    report = WatchReport()
    nodes = list_nodes()
    alive = {n.node_id for n in live_nodes(nodes, now)}
    by_guild: dict[int, list[Room]] = defaultdict(list)
    for room in store.all_rooms():
        if room.count > 0:
            by_guild[room.guild_id].append(room)
    grace_ms = int(get_settings().voice_disconnect_grace_s * 1000)
    for guild_id, rooms in by_guild.items():
        report.rooms += len(rooms)
        for room in rooms:
            if room.node_id not in alive:
                _relocate(room, nodes, now, report)
        states = store.guild_states(guild_id)
        found = {
            (int(s.user_id), s.session_id): s
            for s in sessions.sessions_of(
                sessions.Subscription(st.user_id, st.session_id) for st in states
            )
        }
        stays = _may_stay(guild_id, states, datetime.fromtimestamp(now, UTC))
        for state in states:
            session = found.get((state.user_id, state.session_id))
            evicted = state.user_id not in stays.get(state.channel_id, set())
            if evicted or _gone(session, int(now * 1000), grace_ms):
                try:
                    _leave(state, None, datetime.fromtimestamp(now, UTC))
                    report.left += 1
                except StaleWrite:
                    pass  # they moved or left meanwhile
    return report


def watch() -> WatchReport:
    """One pass; then, while a room is occupied, a pass every ``voice_watch_period_s`` until
    ``voice_watch_span_s`` has passed. At rest (no occupied room) an invocation is one short
    pass: the schedule costs next to nothing, and the watching is paid for only while voice is
    in use. Overlapping invocations are safe: every move and every leave is a conditional write.
    """
    settings = get_settings()
    deadline = time.monotonic() + settings.voice_watch_span_s
    total = WatchReport()
    while True:
        started = time.monotonic()
        report = watch_once()
        total.rooms = report.rooms
        total.moved += report.moved
        total.told += report.told
        total.left += report.left
        remaining = deadline - time.monotonic()
        if report.rooms == 0 or remaining <= 0:
            return total
        time.sleep(
            max(0.0, min(remaining, settings.voice_watch_period_s - (time.monotonic() - started)))
        )
