"""Scopes a live session gains or loses after it identified: a DM opened, a group DM joined or
left, a guild joined or left.

IDENTIFY subscribes a session to the scopes its user has then. A later DM, group DM or guild
reaches the user as a user-scoped event (``CHANNEL_CREATE`` of type 1 or 3, ``GUILD_CREATE``);
the fan-out and the replay subscribe the user's sessions to the new scope when they meet that
event, before any later event of the scope is delivered. The event and the scope's own events
share an outbox partition (the DM's, the guild's), so the stream sequences the event first.
Leaving (left, kicked, banned) reaches the user as a user-scoped ``GUILD_DELETE``, leaving a
group DM (or being removed from it) as a user-scoped ``CHANNEL_DELETE`` of type 3: their
sessions are unsubscribed from the scope when it is met, so no later event of it reaches them. Which
events join or leave is their declaration's ``membership`` (``shared/gateway/domain/registry.py``).
Pure.
"""

from __future__ import annotations

from shared.gateway.domain.log_events import LogEvent, Scope
from shared.gateway.domain.registry import Membership

__all__ = ["joined_scope", "left_scope"]

_DM_TYPES = (1, 3)
_GROUP_DM_TYPE = 3


def _membership(event: LogEvent) -> tuple[Membership, int, int] | None:
    """``(what, user_id, target id)`` of a user-scoped event whose declaration says it tells
    its user of a scope joined or left (``membership``), with the string id of its target."""
    membership = event.spec.membership if event.spec is not None else None
    kind, _, ident = event.scope.partition(":")
    if membership is None or kind != "user" or not ident.isdigit():
        return None
    target = event.d.get("id") if isinstance(event.d, dict) else None
    if not isinstance(target, str) or not target.isdigit():
        return None
    return membership, int(ident), int(target)


def joined_scope(event: LogEvent) -> tuple[int, str] | None:
    """``(user_id, scope)`` when the event tells a user they are now in a DM or guild."""
    found = _membership(event)
    if found is None:
        return None
    membership, user_id, target = found
    if membership is Membership.JOINS_DM and event.d.get("type") in _DM_TYPES:
        return user_id, Scope.dm(target)
    if membership is Membership.JOINS_GUILD:
        return user_id, Scope.guild(target)
    return None


def left_scope(event: LogEvent) -> tuple[int, str] | None:
    """``(user_id, scope)`` when the event tells a user they are no longer in a guild or a
    group DM."""
    found = _membership(event)
    if found is None:
        return None
    membership, user_id, target = found
    if membership is Membership.LEAVES_DM and event.d.get("type") == _GROUP_DM_TYPE:
        return user_id, Scope.dm(target)
    if membership is Membership.LEAVES_GUILD:
        return user_id, Scope.guild(target)
    return None
