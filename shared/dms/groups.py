"""Group DMs (type 3): create one, rename it, add and remove participants, leave it.

Who may be added is who the adder may DM (``shared/dms/domain/dm.py``); the group's limits and
who may do what are in ``shared/dms/domain/group.py``. Each change writes the group, the list
entries it adds or takes away, and its events in one transaction, conditional on the group's
version: of two concurrent changes one commits and the other reads the group again (so two
adds to a group of nine never make eleven).

Events: ``CHANNEL_CREATE`` to each user who joins (it subscribes their live sessions to the
group), ``CHANNEL_DELETE`` to each who leaves or is removed (it unsubscribes them),
``CHANNEL_UPDATE`` to each participant on a rename or a change of owner, and
``CHANNEL_RECIPIENT_ADD`` / ``CHANNEL_RECIPIENT_REMOVE`` ``{"channel_id", "user"}`` to the group,
so that its messages reach exactly its participants of the moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shared.auth.storage import users
from shared.dms.dms import channel_view, guilds_of, public
from shared.dms.domain.dm import check_may_message
from shared.dms.domain.group import GroupDm
from shared.dms.storage import dms as store
from shared.errors import NotFound
from shared.guilds.storage.channels import guild_of, unknown_channel
from shared.ids import new_id
from shared.messages.storage import read_states
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction

__all__ = [
    "add_recipient",
    "create_group",
    "get",
    "is_group",
    "leave",
    "remove_recipient",
    "rename",
]


def view(group: GroupDm, viewer: int, last_message_id: int | None = None) -> dict[str, Any]:
    """The group's channel object as ``viewer`` sees it."""
    return channel_view(group, viewer, last_message_id)


def _to_user(name: EventName, group: GroupDm, user_id: int, actor_id: int) -> GatewayEvent:
    """An event of the group for one user (in the group's outbox partition, so it is sequenced
    before the group's later events)."""
    return GatewayEvent(
        name, None, view(group, user_id), actor_id=actor_id, user_id=user_id, dm_channel_id=group.id
    )


def _to_group(name: EventName, group: GroupDm, user_id: int, actor_id: int) -> GatewayEvent:
    data = {"channel_id": str(group.id), "user": public(user_id)}
    return GatewayEvent(name, None, data, actor_id=actor_id, dm_channel_id=group.id)


def _check_reachable(user_id: int, target_id: int) -> None:
    """404 for an unknown user; 403 unless ``user_id`` may DM ``target_id``."""
    target = users.get_user(target_id)
    if target is None:
        raise NotFound("Unknown user.", code="unknown_user")
    check_may_message(
        guilds_of(user_id), guilds_of(target_id), target.user.allow_dms_from_guild_members
    )


def _group_of(channel_id: int, user_id: int) -> GroupDm:
    """The group the caller is in; the same 404 as any channel not theirs otherwise."""
    group = store.get_group(channel_id)
    if group is None or not group.has(user_id):
        raise unknown_channel()
    return group


def is_group(channel_id: int) -> bool:
    """Whether the channel is a group DM (the channel routes serve them too): no read for a
    guild channel (its guild reference is cached), one for any other."""
    return guild_of(channel_id) is None and store.get_group(channel_id) is not None


def get(channel_id: int, user_id: int) -> dict[str, Any]:
    """The group as the caller, a participant, sees it."""
    return _with_last(_group_of(channel_id, user_id), user_id)


def create_group(user_id: int, recipient_ids: Sequence[int], name: str | None) -> dict[str, Any]:
    """A new group DM of the caller (its owner) and ``recipient_ids``."""
    group = GroupDm.create(new_id(), user_id, recipient_ids, name)
    for recipient in recipient_ids:
        _check_reachable(user_id, recipient)
    tx = Transaction()
    store.insert_group(tx, group)
    now = datetime.now(UTC)
    for viewer in group.users:
        outbox.emit(tx, _to_user(EventName.CHANNEL_CREATE, group, viewer, user_id), now)
    tx.commit()
    return view(group, user_id)


@retry_stale
def rename(channel_id: int, user_id: int, name: str | None) -> dict[str, Any]:
    """Any participant renames the group (a blank name clears it)."""
    before = _group_of(channel_id, user_id)
    after = before.renamed(name)
    if after.name != before.name:
        updates = [_to_user(EventName.CHANNEL_UPDATE, after, v, user_id) for v in after.users]
        _commit(before, after, updates)
    return _with_last(after, user_id)


def _commit(before: GroupDm, after: GroupDm, events: list[GatewayEvent]) -> None:
    """Write the change from ``before`` to ``after`` and its events, if nobody changed the
    group meanwhile."""
    tx = Transaction()
    store.replace_group(tx, before, after)
    now = datetime.now(UTC)
    for event in events:
        outbox.emit(tx, event, now)
    tx.commit()


def _with_last(group: GroupDm, viewer: int) -> dict[str, Any]:
    return view(group, viewer, read_states.marks([group.id])[group.id].last_message_id)


@retry_stale
def add_recipient(channel_id: int, user_id: int, target_id: int) -> None:
    """Any participant adds someone they may DM; a participant already in is left as is."""
    before = _group_of(channel_id, user_id)
    if before.has(target_id):
        return
    _check_reachable(user_id, target_id)
    after = before.with_user(target_id)
    joined = _to_user(EventName.CHANNEL_CREATE, after, target_id, user_id)
    _commit(
        before,
        after,
        [joined, _to_group(EventName.CHANNEL_RECIPIENT_ADD, after, target_id, user_id)],
    )


@retry_stale
def remove_recipient(channel_id: int, user_id: int, target_id: int) -> None:
    """The owner removes a participant (the owner removing themselves leaves)."""
    group = _group_of(channel_id, user_id)
    if target_id == user_id:
        _out(group, user_id, user_id)
        return
    group.require_owner(user_id)
    if not group.has(target_id):
        raise NotFound("Unknown recipient.", code="unknown_recipient")
    _out(group, target_id, user_id)


@retry_stale
def leave(channel_id: int, user_id: int) -> dict[str, Any]:
    """The caller leaves the group (its channel object as they last saw it)."""
    group = _group_of(channel_id, user_id)
    _out(group, user_id, user_id)
    return view(group, user_id)


def _out(before: GroupDm, target_id: int, actor_id: int) -> None:
    """``target_id`` leaves the group: their CHANNEL_DELETE, the others' RECIPIENT_REMOVE, and a
    CHANNEL_UPDATE to each when the owner changed."""
    after = before.without(target_id)
    events = [
        _to_user(EventName.CHANNEL_DELETE, before, target_id, actor_id),
        _to_group(EventName.CHANNEL_RECIPIENT_REMOVE, after, target_id, actor_id),
    ]
    if after.owner_id != before.owner_id:
        events += [_to_user(EventName.CHANNEL_UPDATE, after, v, actor_id) for v in after.users]
    _commit(before, after, events)
