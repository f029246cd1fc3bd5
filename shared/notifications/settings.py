"""Read and change a user's notification settings, and tell the user's other sessions.

Settings are the user's own: nobody else reads them. A guild's settings may be changed by its
members only (anyone else gets the 404 of a guild they cannot see); a channel override must
name a channel of that guild (of the user's DMs, for the DM settings). A change is written
with a user-scoped ``USER_GUILD_SETTINGS_UPDATE`` in the same transaction, so that every
session of the user applies it; a change that raced another (two devices) runs again from its
reads, so neither is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.dms.storage import dms as dm_store
from shared.errors import Invalid
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import members as member_store
from shared.notifications.domain.guild_settings import (
    DM_SETTINGS_ID,
    MAX_CHANNEL_OVERRIDES,
    ChannelOverride,
    merge_overrides,
)
from shared.notifications.storage import guild_settings as settings_store
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction

__all__ = ["all_of", "update"]


def all_of(user_id: int) -> list[dict[str, Any]]:
    """Every settings object the user has changed; a guild not listed has the defaults."""
    return [s.as_json() for s in settings_store.of_user(user_id)]


def _channel_ids(user_id: int, guild_id: int) -> set[int]:
    """The channels a guild's (or the DMs') overrides may name; 404 for a guild the user is
    not a member of."""
    if guild_id == DM_SETTINGS_ID:
        return set(dm_store.channel_ids_of(user_id))
    if member_store.get(guild_id, user_id) is None:
        raise guild_store.unknown_guild()
    return {c.id for c in channel_store.list_for_guild(guild_id)}


@retry_stale
def update(
    user_id: int,
    guild_id: int,
    changes: Mapping[str, Any],
    overrides: Iterable[ChannelOverride] | None,
) -> dict[str, Any]:
    """Apply ``changes`` (fields of :class:`GuildSettings`) and ``overrides`` (each replaces
    its channel's) to the user's settings of ``guild_id``; the settings after."""
    known = _channel_ids(user_id, guild_id)
    current, version = settings_store.get(user_id, guild_id)
    after = current.with_changes(changes)
    if overrides is not None:
        changed = list(overrides)
        strangers = sorted({o.channel_id for o in changed} - known)
        if strangers:
            raise Invalid(
                "A channel override names a channel that is not in this guild.",
                code="unknown_channel",
                errors={"channel_overrides": [str(c) for c in strangers]},
            )
        merged = merge_overrides(current.overrides, changed)
        if len(merged) > MAX_CHANNEL_OVERRIDES:
            raise Invalid(
                f"At most {MAX_CHANNEL_OVERRIDES} channels may have their own settings.",
                code="too_many_overrides",
                errors={"channel_overrides": f"at most {MAX_CHANNEL_OVERRIDES}"},
            )
        after = after.with_changes({"overrides": merged})
    now = datetime.now(UTC)
    tx = Transaction()
    settings_store.put(tx, user_id, after, version)
    data = after.as_json()
    event = GatewayEvent(
        EventName.USER_GUILD_SETTINGS_UPDATE, None, data, actor_id=user_id, user_id=user_id
    )
    outbox.emit(tx, event, now)
    tx.commit()
    return data
