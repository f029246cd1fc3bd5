"""Every gateway event, declared once: how it is sent, whom it reaches, what it changes.

An event's name is an :class:`~shared.outbox.domain.events.EventName`; everything the gateway does
differently for one event than for another is a field of its :class:`EventSpec` here, and the
code that does it reads that field:

- the log event (``shared/gateway/domain/log_events.py``) takes a channel only for a
  channel-bound event, and builds what those who may not see the channel, or lack what a
  part needs, receive of it;
- the view cache (``shared/gateway/view_cache.py``) keeps its answers through the events that
  cannot change who sees what;
- the joins (``shared/gateway/domain/joins.py``) subscribe and unsubscribe a user's sessions at the
  events that tell the user they joined or left;
- the frames (``shared/gateway/domain/protocol.py``) split an event too large for one frame, and a
  session's intents leave out the events they do not ask for.

Adding an event is one ``EventName`` member and one declaration. An :class:`EventSpec` has no
defaults: one that leaves a field out is a ``TypeError`` at import (and mypy's). The helpers
below write the ordinary values out once, and each declaration still states how the event is
sent, whether it is channel-bound and whether it can change who sees what. An ``EventName``
member without a declaration, or with two, is a ``ValueError`` at import.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from shared.guilds.domain.permissions import Permission
from shared.outbox.domain.events import EventName
from shared.presence.domain.presence import GUILD_PRESENCES

__all__ = [
    "EVENTS",
    "Delivery",
    "EventSpec",
    "Hidden",
    "Intent",
    "Membership",
    "Restricted",
    "by_name",
    "hears",
    "spec_of",
]


class Delivery(enum.Enum):
    """How an event reaches clients, and so what its ``s`` means."""

    #: Written to the outbox with its change, appended to the gateway log, fanned out: its
    #: ``s`` is its log position.
    LOG = "log"
    #: Posted to one session and never logged: its ``s`` is the session's (where it started,
    #: where its replay reached) or null, not its own.
    SESSION = "session"
    #: Both: a session's own at IDENTIFY, a logged event when a user joins while connected.
    LOG_AND_SESSION = "log and session"
    #: Named by CONTRACT.md; Parley does not send it (yet).
    NOT_SENT = "not sent"


class Intent(enum.IntFlag):
    """The IDENTIFY intents (Discord's bits) that gate an event."""

    GUILD_PRESENCES = GUILD_PRESENCES


class Membership(enum.Enum):
    """What an event addressed to one user tells of the scopes the user's sessions follow."""

    #: ``d.id`` is a guild the user is now a member of.
    JOINS_GUILD = "joins a guild"
    #: ``d`` is a DM or group DM channel the user is now in.
    JOINS_DM = "joins a DM"
    #: ``d`` is a group DM channel the user is no longer in (a guild channel's deletion is
    #: guild-scoped, so it never tells this).
    LEAVES_DM = "leaves a DM"
    #: ``d.id`` is a guild the user is no longer a member of.
    LEAVES_GUILD = "leaves a guild"


@dataclass(frozen=True, slots=True)
class Hidden:
    """What a member who may not view a channel-bound event's channel receives of it: an event
    named ``name`` whose ``d`` holds only ``keys`` of the event's."""

    name: EventName
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Restricted:
    """A channel-bound event (``part`` None), or the ``part`` key of its ``d``, that reaches
    only those who hold ``permission`` in the channel besides VIEW_CHANNEL. Those who lack it
    receive nothing of a restricted event, and a restricted part's event without that key."""

    permission: Permission
    part: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSpec:
    """One gateway event, as the gateway treats it. Every field is required."""

    name: EventName
    delivery: Delivery
    #: Only those who may VIEW_CHANNEL the event's channel receive it (when it has one: a DM's
    #: events, and a DM's own CHANNEL_CREATE, reach its participants without one).
    channel_bound: bool
    #: The event may come of a change that alters who may see a guild's channels (roles,
    #: overwrites, membership, ownership, bans, channels, the guild itself). When in doubt,
    #: true: the view cache then only asks the directory afresh.
    changes_views: bool
    #: The lists of ``d`` spread over several frames when the event is too large for one.
    splits: tuple[str, ...]
    #: The IDENTIFY intent without which a session does not receive the event (None: every
    #: session receives it).
    intent: Intent | None
    #: What those who may not view its channel receive (None: nothing). Channel-bound only.
    hidden: Hidden | None
    #: What of it needs more than VIEW_CHANNEL (None: nothing). Channel-bound only.
    restricted: Restricted | None
    #: Its ``d`` may name the channel a voice state moved to (``events.MOVED_TO``): those who
    #: may view that channel do not receive this leave. Channel-bound only.
    moves: bool
    #: It deletes its channel: who receives it is judged on the channel as ``d`` carries it,
    #: since the stored one is gone. Channel-bound only.
    deletes_channel: bool
    #: What it tells its user of the scopes their sessions follow (None: nothing).
    membership: Membership | None

    def __post_init__(self) -> None:
        channel_only = (self.hidden, self.restricted, self.moves, self.deletes_channel)
        if not self.channel_bound and any(channel_only):
            raise ValueError(f"{self.name}: only a channel-bound event is judged by its channel")

    @property
    def session_own(self) -> bool:
        """Whether it can be a session's own dispatch, whose ``s`` another dispatch shares (a
        client never drops it as already processed)."""
        return self.delivery in (Delivery.SESSION, Delivery.LOG_AND_SESSION)


def _plain(
    name: EventName, *, delivery: Delivery, channel_bound: bool, changes_views: bool
) -> EventSpec:
    """An event the gateway treats as any other of its kind: never split, heard whatever the
    intents, told whole or not at all, of no membership. A declaration that differs says so
    with :func:`dataclasses.replace`."""
    return EventSpec(
        name=name,
        delivery=delivery,
        channel_bound=channel_bound,
        changes_views=changes_views,
        splits=(),
        intent=None,
        hidden=None,
        restricted=None,
        moves=False,
        deletes_channel=False,
        membership=None,
    )


def _unbound(name: EventName, *, changes_views: bool) -> EventSpec:
    """A logged event of a guild or a user, not bound to a channel."""
    return _plain(name, delivery=Delivery.LOG, channel_bound=False, changes_views=changes_views)


def _bound(name: EventName, *, changes_views: bool) -> EventSpec:
    """A logged event of a channel, told to those who may view it and to nobody else."""
    return _plain(name, delivery=Delivery.LOG, channel_bound=True, changes_views=changes_views)


def _session(name: EventName) -> EventSpec:
    """An event posted to one session, never logged."""
    return _plain(name, delivery=Delivery.SESSION, channel_bound=False, changes_views=False)


def _unsent(name: EventName, *, channel_bound: bool, changes_views: bool) -> EventSpec:
    """An event CONTRACT.md names that Parley does not send, declared as Discord sends it."""
    return _plain(
        name, delivery=Delivery.NOT_SENT, channel_bound=channel_bound, changes_views=changes_views
    )


_DECLARED = (
    _session(EventName.READY),
    _session(EventName.RESUMED),
    replace(
        _plain(
            EventName.GUILD_CREATE,
            delivery=Delivery.LOG_AND_SESSION,
            channel_bound=False,
            changes_views=True,
        ),
        splits=("members", "presences", "voice_states"),
        membership=Membership.JOINS_GUILD,
    ),
    _unbound(EventName.GUILD_UPDATE, changes_views=True),
    replace(
        _unbound(EventName.GUILD_DELETE, changes_views=True),
        membership=Membership.LEAVES_GUILD,
    ),
    replace(
        _bound(EventName.CHANNEL_CREATE, changes_views=True),
        membership=Membership.JOINS_DM,
    ),
    replace(
        _bound(EventName.CHANNEL_UPDATE, changes_views=True),
        hidden=Hidden(EventName.CHANNEL_DELETE, ("id", "guild_id", "type", "parent_id")),
    ),
    replace(
        _bound(EventName.CHANNEL_DELETE, changes_views=True),
        deletes_channel=True,
        membership=Membership.LEAVES_DM,
    ),
    _unbound(EventName.CHANNEL_RECIPIENT_ADD, changes_views=False),
    _unbound(EventName.CHANNEL_RECIPIENT_REMOVE, changes_views=False),
    _unbound(EventName.GUILD_MEMBER_ADD, changes_views=True),
    _unbound(EventName.GUILD_MEMBER_UPDATE, changes_views=True),
    _unbound(EventName.GUILD_MEMBER_REMOVE, changes_views=True),
    _unbound(EventName.GUILD_ROLE_CREATE, changes_views=True),
    _unbound(EventName.GUILD_ROLE_UPDATE, changes_views=True),
    _unbound(EventName.GUILD_ROLE_DELETE, changes_views=True),
    _unbound(EventName.GUILD_BAN_ADD, changes_views=True),
    _unbound(EventName.GUILD_BAN_REMOVE, changes_views=True),
    _unbound(EventName.USER_UPDATE, changes_views=True),
    replace(
        _bound(EventName.MESSAGE_CREATE, changes_views=False),
        restricted=Restricted(Permission.READ_MESSAGE_HISTORY, "referenced_message"),
    ),
    _bound(EventName.MESSAGE_UPDATE, changes_views=False),
    _bound(EventName.MESSAGE_DELETE, changes_views=False),
    _bound(EventName.MESSAGE_REACTION_ADD, changes_views=False),
    _bound(EventName.MESSAGE_REACTION_REMOVE, changes_views=False),
    _bound(EventName.CHANNEL_PINS_UPDATE, changes_views=False),
    _bound(EventName.TYPING_START, changes_views=False),
    replace(
        _unbound(EventName.PRESENCE_UPDATE, changes_views=False),
        intent=Intent.GUILD_PRESENCES,
    ),
    replace(_bound(EventName.VOICE_STATE_UPDATE, changes_views=False), moves=True),
    _session(EventName.VOICE_SERVER_UPDATE),
    replace(
        _bound(EventName.INVITE_CREATE, changes_views=False),
        restricted=Restricted(Permission.MANAGE_CHANNELS, None),
    ),
    _unbound(EventName.MESSAGE_ACK, changes_views=False),
    _unbound(EventName.USER_GUILD_SETTINGS_UPDATE, changes_views=False),
    _unsent(EventName.THREAD_CREATE, channel_bound=True, changes_views=True),
    _unsent(EventName.THREAD_UPDATE, channel_bound=True, changes_views=True),
    _unsent(EventName.THREAD_DELETE, channel_bound=True, changes_views=True),
    _unsent(EventName.THREAD_LIST_SYNC, channel_bound=False, changes_views=False),
    _unsent(EventName.THREAD_MEMBER_UPDATE, channel_bound=False, changes_views=True),
    _unsent(EventName.THREAD_MEMBERS_UPDATE, channel_bound=True, changes_views=True),
    _unbound(EventName.GUILD_EMOJIS_UPDATE, changes_views=False),
)


def by_name(declared: Iterable[EventSpec]) -> Mapping[str, EventSpec]:
    """The declarations by name; every :class:`EventName` member exactly once."""
    declared = list(declared)
    names = [spec.name for spec in declared]
    twice = sorted({str(n) for n in names if names.count(n) > 1})
    missing = sorted(str(n) for n in set(EventName) - set(names))
    if twice:
        raise ValueError(f"gateway events declared twice {twice}")
    if missing:
        raise ValueError(f"gateway events not declared {missing}")
    return MappingProxyType({spec.name: spec for spec in declared})


#: Every gateway event's declaration, by name.
EVENTS = by_name(_DECLARED)


def spec_of(t: str) -> EventSpec | None:
    """The declaration of the event named ``t``; None for a name this code does not know (an
    event a newer deployment wrote)."""
    return EVENTS.get(t)


def hears(t: str, intents: int | None) -> bool:
    """Whether a session identified with ``intents`` (None: none given, so every event)
    receives events named ``t``: those its declaration gates by an intent only if it holds it."""
    spec = spec_of(t)
    return intents is None or spec is None or spec.intent is None or bool(intents & spec.intent)
