"""DM channels: the channel item, the pair item that makes opening idempotent, each user's list.

``PK=CHANNEL#c, SK=DM`` holds the two participants (beside the DM's messages; a DM has no
guild reference item, so guild routes never mistake it for a guild channel).
``PK=DMPAIR#<low>#<high>, SK=DMPAIR`` names the pair's one channel: written with
``attribute_not_exists``, so of two concurrent opens exactly one creates the channel and the
other finds it. ``PK=USER#u, SK=DM#c`` lists a user's DMs (one Query).
"""

from __future__ import annotations

from collections import OrderedDict

from pynamodb.attributes import NumberAttribute

from shared.dms.domain.dm import DmChannel
from shared.errors import Conflict
from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import (
    DM_SK,
    USER_DM_SK_PREFIX,
    channel_pk,
    dm_pair_key,
    user_dm_sk,
    user_pk,
)
from shared.table.transaction import Transaction

__all__ = ["PairTaken", "channel_ids_of", "get", "insert", "pair_channel"]


class PairTaken(Conflict):
    """Another open of the same pair committed first; its channel is the pair's."""

    code = "dm_exists"

    def __init__(self) -> None:
        super().__init__("These users already have a DM.")


class DmChannelRecord(Entity, discriminator="dm_channel"):
    channel_id = NumberAttribute()
    user_low = NumberAttribute()
    user_high = NumberAttribute()


class DmPairRecord(Entity, discriminator="dm_pair"):
    channel_id = NumberAttribute()


class UserDmRecord(Entity, discriminator="user_dm"):
    channel_id = NumberAttribute()
    other_id = NumberAttribute()


def insert(tx: Transaction, dm: DmChannel) -> None:
    """The pair's claim, the channel, and both users' list entries."""
    low, high = dm.users
    pair_pk, pair_sk = dm_pair_key(low, high)
    tx.insert(DmPairRecord(pair_pk, pair_sk, channel_id=dm.id), on_exists=PairTaken())
    tx.insert(
        DmChannelRecord(channel_pk(dm.id), DM_SK, channel_id=dm.id, user_low=low, user_high=high)
    )
    for user, other in ((low, high), (high, low)):
        tx.put(UserDmRecord(user_pk(user), user_dm_sk(dm.id), channel_id=dm.id, other_id=other))


def pair_channel(user_a: int, user_b: int) -> int | None:
    """The DM channel of two users, if they have one (a consistent read)."""
    record = get_item(DmPairRecord, *dm_pair_key(user_a, user_b))
    return None if record is None else int(record.channel_id)


_CACHE: OrderedDict[int, DmChannel] = OrderedDict()
_CACHE_MAX = 10_000


def get(channel_id: int) -> DmChannel | None:
    """The DM channel, or None (cached: a DM's participants never change)."""
    cached = _CACHE.get(channel_id)
    if cached is not None:
        _CACHE.move_to_end(channel_id)
        return cached
    with store_errors():
        try:
            record = DmChannelRecord.get(channel_pk(channel_id), DM_SK)
        except DmChannelRecord.DoesNotExist:
            return None
    dm = DmChannel(int(record.channel_id), (int(record.user_low), int(record.user_high)))
    _CACHE[channel_id] = dm
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return dm


def list_of(user_id: int) -> list[DmChannel]:
    """The user's DMs, oldest first: one Query of their partition's ``DM#`` items (paged by
    pynamodb; a user's DMs are not capped, as on Discord: see docs/decisions.md)."""
    with store_errors():
        records = UserDmRecord.query(
            user_pk(user_id),
            UserDmRecord.sk.startswith(USER_DM_SK_PREFIX),
        )
        return [
            DmChannel.between(int(r.channel_id), user_id, int(r.other_id))
            for r in records
            if isinstance(r, UserDmRecord)
        ]


def channel_ids_of(user_id: int) -> list[int]:
    return [dm.id for dm in list_of(user_id)]


__all__ += ["list_of"]
