"""DM channels: the channel item, the pair item that makes opening idempotent, each user's list.

``PK=CHANNEL#c, SK=DM`` holds the two participants (beside the DM's messages; a DM has no
guild reference item, so guild routes never mistake it for a guild channel); a group DM's
holds instead its participants, owner, name and a version that makes each change
conditional (so that concurrent adds never pass the group's limit).
``PK=DMPAIR#<low>#<high>, SK=DMPAIR`` names the pair's one channel: written with
``attribute_not_exists``, so of two concurrent opens exactly one creates the channel and the
other finds it. ``PK=USER#u, SK=DM#c`` lists a user's DMs and group DMs (one Query; a group's
entry names no other user, and its channel items come in one BatchGet).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from shared.dms.domain.dm import DmChannel
from shared.dms.domain.group import GroupDm
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
from shared.table.transaction import StaleWrite, Transaction

__all__ = [
    "AnyDm",
    "PairTaken",
    "channel_ids_of",
    "get",
    "get_group",
    "insert",
    "insert_group",
    "pair_channel",
    "replace_group",
]

AnyDm = DmChannel | GroupDm


class PairTaken(Conflict):
    """Another open of the same pair committed first; its channel is the pair's."""

    code = "dm_exists"

    def __init__(self) -> None:
        super().__init__("These users already have a DM.")


class DmChannelRecord(Entity, discriminator="dm_channel"):
    channel_id = NumberAttribute()
    user_low = NumberAttribute(null=True)
    user_high = NumberAttribute(null=True)
    # a group DM's (type 3) only
    users = ListAttribute(of=NumberAttribute, null=True)
    owner_id = NumberAttribute(null=True)
    name = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)


class DmPairRecord(Entity, discriminator="dm_pair"):
    channel_id = NumberAttribute()


class UserDmRecord(Entity, discriminator="user_dm"):
    channel_id = NumberAttribute()
    other_id = NumberAttribute(null=True)  # None: a group DM


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


def _channel(record: DmChannelRecord) -> AnyDm:
    if record.users is not None:
        return GroupDm(
            int(record.channel_id),
            None if record.owner_id is None else int(record.owner_id),
            tuple(sorted(int(str(u)) for u in record.users)),
            record.name,
            int(record.version or 0),
        )
    return DmChannel(int(record.channel_id), (int(record.user_low), int(record.user_high)))


def get(channel_id: int) -> AnyDm | None:
    """The DM or group DM channel, or None (a DM is cached: its participants never change; a
    group's are read each time, consistently, since they do)."""
    cached = _CACHE.get(channel_id)
    if cached is not None:
        _CACHE.move_to_end(channel_id)
        return cached
    record = get_item(DmChannelRecord, channel_pk(channel_id), DM_SK)
    if record is None:
        return None
    dm = _channel(record)
    if isinstance(dm, GroupDm):
        return dm
    _CACHE[channel_id] = dm
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.popitem(last=False)
    return dm


def _entries(user_id: int) -> list[UserDmRecord]:
    """The user's list entries, oldest first: one Query of their partition's ``DM#`` items
    (paged by pynamodb; a user's DMs are not capped, as on Discord: see docs/decisions.md)."""
    with store_errors():
        records = UserDmRecord.query(
            user_pk(user_id),
            UserDmRecord.sk.startswith(USER_DM_SK_PREFIX),
        )
        return [r for r in records if isinstance(r, UserDmRecord)]


def list_of(user_id: int) -> list[AnyDm]:
    """The user's DMs and group DMs, oldest first (one Query, and one BatchGet of the groups)."""
    entries = _entries(user_id)
    groups = [int(r.channel_id) for r in entries if r.other_id is None]
    found: dict[int, AnyDm] = {}
    if groups:
        with store_errors():
            keys = [(channel_pk(c), DM_SK) for c in groups]
            for record in DmChannelRecord.batch_get(keys):
                found[int(record.channel_id)] = _channel(record)
    out: list[AnyDm] = []
    for r in entries:
        if r.other_id is not None:
            out.append(DmChannel.between(int(r.channel_id), user_id, int(r.other_id)))
        elif int(r.channel_id) in found:
            out.append(found[int(r.channel_id)])
    return out


def channel_ids_of(user_id: int) -> list[int]:
    """The ids of the user's DMs and group DMs (one Query)."""
    return [int(r.channel_id) for r in _entries(user_id)]


def get_group(channel_id: int) -> GroupDm | None:
    """The group DM, read consistently; None when it is not one."""
    found = get(channel_id)
    return found if isinstance(found, GroupDm) else None


def _group_record(group: GroupDm) -> DmChannelRecord:
    return DmChannelRecord(
        channel_pk(group.id),
        DM_SK,
        channel_id=group.id,
        users=list(group.users),
        owner_id=group.owner_id,
        name=group.name,
        version=group.version + 1,
    )


def insert_group(tx: Transaction, group: GroupDm) -> None:
    """A new group's channel item and each participant's list entry."""
    tx.insert(_group_record(group))
    for user in group.users:
        tx.put(UserDmRecord(user_pk(user), user_dm_sk(group.id), channel_id=group.id))


def replace_group(tx: Transaction, before: GroupDm, after: GroupDm) -> None:
    """Write ``after`` over ``before`` if nobody changed the group since it was read (else
    :class:`StaleWrite`, and the command reads it again), with the list entries of those who
    joined and without those of who left."""
    record = _group_record(replace(after, version=before.version))
    tx.put(record, DmChannelRecord.version == before.version, StaleWrite("The group changed."))
    for user in set(after.users) - set(before.users):
        tx.put(UserDmRecord(user_pk(user), user_dm_sk(after.id), channel_id=after.id))
    for user in set(before.users) - set(after.users):
        tx.delete(UserDmRecord(user_pk(user), user_dm_sk(after.id)))


__all__ += ["list_of"]
