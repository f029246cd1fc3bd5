"""Channel items: ``PK=GUILD#g, SK=CHANNEL#c``, and the channel's reference to its guild at
``PK=CHANNEL#c, SK=CHANNEL``.

The guild partition holds the channel itself, so a guild's channels are one strongly
consistent Query and go with the guild when it is purged. Routes that name only a channel
(``/channels/{id}``) find its guild through the reference item: written with the channel, never
changed, so a container may cache it (a deleted channel is still caught: its item is gone).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from shared.errors import NotFound
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.permissions import Overwrite, OverwriteType
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import CHANNEL_REF_SK, CHANNEL_SK_PREFIX, channel_pk, channel_sk, guild_pk
from shared.table.transaction import Transaction

__all__ = [
    "ChannelRecord",
    "ChannelRefRecord",
    "Versioned",
    "get",
    "guild_of",
    "insert",
    "list_for_guild",
    "record_of",
    "remove",
    "replace",
    "to_channel",
    "unknown_channel",
]


def unknown_channel() -> NotFound:
    return NotFound("Unknown channel.", code="unknown_channel")


class ChannelRecord(Entity, discriminator="channel"):
    channel_id = NumberAttribute()
    guild_id = NumberAttribute()
    channel_type = NumberAttribute()
    name = UnicodeAttribute()
    position = NumberAttribute(default=0)
    parent_id = NumberAttribute(null=True)
    topic = UnicodeAttribute(null=True)
    bitrate = NumberAttribute(null=True)
    user_limit = NumberAttribute(null=True)
    #: ``{"<target id>": {"type": 0|1, "allow": n, "deny": n}}``
    overwrites: MapAttribute[str, Any] = MapAttribute(default=dict)
    version = VersionAttribute()


class ChannelRefRecord(Entity, discriminator="channel_ref"):
    channel_id = NumberAttribute()
    guild_id = NumberAttribute()


Versioned = tuple[Channel, int]


def to_channel(record: ChannelRecord) -> Channel:
    raw = record.overwrites.as_dict() if isinstance(record.overwrites, MapAttribute) else {}
    overwrites = {
        int(target): Overwrite(
            int(target), OverwriteType(int(o["type"])), int(o["allow"]), int(o["deny"])
        )
        for target, o in (raw or {}).items()
    }
    return Channel(
        id=int(record.channel_id),
        guild_id=int(record.guild_id),
        type=ChannelType(int(record.channel_type)),
        name=record.name,
        position=int(record.position),
        parent_id=None if record.parent_id is None else int(record.parent_id),
        topic=record.topic,
        bitrate=None if record.bitrate is None else int(record.bitrate),
        user_limit=None if record.user_limit is None else int(record.user_limit),
        overwrites=overwrites,
    )


def record_of(channel: Channel, version: int | None = None) -> ChannelRecord:
    record = ChannelRecord(
        guild_pk(channel.guild_id),
        channel_sk(channel.id),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        channel_type=int(channel.type),
        name=channel.name,
        position=channel.position,
        parent_id=channel.parent_id,
        topic=channel.topic,
        bitrate=channel.bitrate,
        user_limit=channel.user_limit,
        overwrites=MapAttribute(
            **{
                str(o.id): {"type": int(o.type), "allow": o.allow, "deny": o.deny}
                for o in channel.overwrites.values()
            }
        ),
    )
    if version is not None:
        record.version = version
    return record


_REFS: OrderedDict[int, int] = OrderedDict()
_REFS_MAX = 10_000


def guild_of(channel_id: int) -> int | None:
    """The guild a channel belongs to (cached: the reference never changes)."""
    cached = _REFS.get(channel_id)
    if cached is not None:
        _REFS.move_to_end(channel_id)
        return cached
    with store_errors():
        try:
            ref = ChannelRefRecord.get(channel_pk(channel_id), CHANNEL_REF_SK)
        except ChannelRefRecord.DoesNotExist:
            return None
    _REFS[channel_id] = int(ref.guild_id)
    if len(_REFS) > _REFS_MAX:
        _REFS.popitem(last=False)
    return int(ref.guild_id)


def get(guild_id: int, channel_id: int) -> Versioned | None:
    """The channel and its version, or None."""
    record = get_item(ChannelRecord, guild_pk(guild_id), channel_sk(channel_id))
    return None if record is None else (to_channel(record), int(record.version or 0))


def list_for_guild(guild_id: int) -> list[Channel]:
    """Every channel of the guild (at most 500: one Query, maybe two pages), by position."""
    with store_errors():
        records = ChannelRecord.query(
            guild_pk(guild_id),
            ChannelRecord.sk.startswith(CHANNEL_SK_PREFIX),
            consistent_read=True,
        )
        channels = [to_channel(r) for r in records]
    return sorted(channels, key=lambda c: (c.position, c.id))


def insert(tx: Transaction, channel: Channel) -> None:
    """A new channel and its guild reference."""
    tx.insert(record_of(channel))
    tx.insert(
        ChannelRefRecord(
            channel_pk(channel.id), CHANNEL_REF_SK, channel_id=channel.id, guild_id=channel.guild_id
        )
    )


def replace(tx: Transaction, channel: Channel, version: int) -> None:
    """Write the channel back, only if nobody changed it since ``version`` was read."""
    tx.put(record_of(channel, version))


def remove(tx: Transaction, channel: Channel, version: int) -> None:
    """Delete the channel (if unchanged since read) and its reference."""
    record = record_of(channel, version)
    tx.delete(record)
    tx.delete(ChannelRefRecord(channel_pk(channel.id), CHANNEL_REF_SK))
    _REFS.pop(channel.id, None)
