"""Notification settings items: ``PK=USER#u, SK=NOTIFY#<guild>`` (guild 0: the user's DMs).

One item per user and guild, read by GetItem, listed by one Query of the user's partition,
written whole (PutItem, in the transaction that emits the change's event) only if unchanged
since it was read (its version: two devices changing the same guild at once lose nothing; the
later one reads again). The channel overrides are a JSON list in the item: read and written
with their guild's settings, never alone.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from shared.notifications.domain.guild_settings import ChannelOverride, GuildSettings, Level
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import GUILD_SETTINGS_SK_PREFIX, guild_settings_sk, user_pk
from shared.table.transaction import Transaction

__all__ = ["get", "of_user", "put"]


class GuildSettingsRecord(Entity, discriminator="guild_settings"):
    guild_id = NumberAttribute()
    message_notifications = NumberAttribute()
    muted = BooleanAttribute()
    mute_end = UnicodeAttribute(null=True)
    suppress_everyone = BooleanAttribute()
    channel_overrides = UnicodeAttribute()
    version = VersionAttribute()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _override_json(override: ChannelOverride) -> dict[str, Any]:
    end = override.mute_end
    return {
        "c": override.channel_id,
        "l": int(override.level),
        "m": override.muted,
        "e": None if end is None else end.isoformat(),
    }


def _to_settings(record: GuildSettingsRecord) -> GuildSettings:
    overrides = tuple(
        ChannelOverride(int(o["c"]), Level(o["l"]), bool(o["m"]), _time(o["e"]))
        for o in json.loads(record.channel_overrides)
    )
    return GuildSettings(
        int(record.guild_id),
        Level(int(record.message_notifications)),
        bool(record.muted),
        _time(record.mute_end),
        bool(record.suppress_everyone),
        overrides,
    )


def get(user_id: int, guild_id: int) -> tuple[GuildSettings, int | None]:
    """The user's settings of the guild and their version; the defaults (version None) when
    they never changed them."""
    record = get_item(GuildSettingsRecord, user_pk(user_id), guild_settings_sk(guild_id))
    if record is None:
        return GuildSettings(guild_id), None
    return _to_settings(record), int(record.version or 0)


def of_user(user_id: int) -> list[GuildSettings]:
    """Every settings item of the user (guilds they configured, and DMs), by guild id: one
    Query of their partition's ``NOTIFY#`` items."""
    with store_errors():
        records = GuildSettingsRecord.query(
            user_pk(user_id),
            GuildSettingsRecord.sk.startswith(GUILD_SETTINGS_SK_PREFIX),
            consistent_read=True,
        )
        return [_to_settings(r) for r in records if isinstance(r, GuildSettingsRecord)]


def put(tx: Transaction, user_id: int, settings: GuildSettings, version: int | None) -> None:
    """Write the user's settings of the guild whole, only if still at ``version`` (None: only
    if there are none yet); else the commit fails with ``StaleWrite``."""
    end = settings.mute_end
    record = GuildSettingsRecord(
        user_pk(user_id),
        guild_settings_sk(settings.guild_id),
        guild_id=settings.guild_id,
        message_notifications=int(settings.level),
        muted=settings.muted,
        mute_end=None if end is None else end.isoformat(),
        suppress_everyone=settings.suppress_everyone,
        channel_overrides=json.dumps(
            [_override_json(o) for o in settings.overrides], separators=(",", ":")
        ),
    )
    if version is not None:  # else no version yet: pynamodb writes only if the item is absent
        record.version = version
    tx.put(record, on_fail=None)
