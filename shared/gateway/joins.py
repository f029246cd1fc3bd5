"""Scopes a live session gains or loses after it identified: a DM opened, a guild joined or left.

IDENTIFY subscribes a session to the scopes its user has then. A later DM or guild reaches the
user as a user-scoped event (``CHANNEL_CREATE`` of type 1, ``GUILD_CREATE``); the fan-out and
the replay subscribe the user's sessions to the new scope when they meet that event, before any
later event of the scope is delivered. The event and the scope's own events share an outbox
partition (the DM's, the guild's), so the stream sequences the event first. Leaving (left,
kicked, banned) reaches the user as a user-scoped ``GUILD_DELETE``: their sessions are
unsubscribed from the guild when it is met, so no later guild event reaches them. Pure.
"""

from __future__ import annotations

from shared.gateway.events import LogEvent, Scope

__all__ = ["joined_scope", "left_scope"]

_DM_TYPE = 1


def joined_scope(event: LogEvent) -> tuple[int, str] | None:
    """``(user_id, scope)`` when the event tells a user they are now in a DM or guild."""
    kind, _, ident = event.scope.partition(":")
    if kind != "user" or not isinstance(event.d, dict) or not ident.isdigit():
        return None
    target = event.d.get("id")
    if not isinstance(target, str) or not target.isdigit():
        return None
    if event.t == "CHANNEL_CREATE" and event.d.get("type") == _DM_TYPE:
        return int(ident), Scope.dm(int(target))
    if event.t == "GUILD_CREATE":
        return int(ident), Scope.guild(int(target))
    return None


def left_scope(event: LogEvent) -> tuple[int, str] | None:
    """``(user_id, scope)`` when the event tells a user they are no longer in a guild."""
    kind, _, ident = event.scope.partition(":")
    if event.t != "GUILD_DELETE" or kind != "user" or not ident.isdigit():
        return None
    target = event.d.get("id") if isinstance(event.d, dict) else None
    if not isinstance(target, str) or not target.isdigit():
        return None
    return int(ident), Scope.guild(int(target))
