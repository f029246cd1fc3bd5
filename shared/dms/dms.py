"""DMs: open one between two users (idempotent, race-safe), list a user's.

Only someone who shares a guild with the recipient may open a DM with them, and only while
the recipient allows DMs from their guilds' members (``shared/dms/domain/dm.py``); a DM once open
stays open to both (docs/protocol.md, "DMs").

Opening writes the pair's claim, the channel, both users' list entries and one user-scoped
CHANNEL_CREATE per participant in one transaction. The claim is conditional, so of two
concurrent opens one commits and the other finds its channel: the pair always gets the same
channel. Each CHANNEL_CREATE also subscribes that user's live gateway sessions to the DM
(``shared/gateway/domain/joins.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.auth.storage import users
from shared.dms.domain.dm import DmChannel, check_may_message, check_recipient
from shared.dms.domain.group import GroupDm
from shared.dms.storage import dms as store
from shared.errors import NotFound
from shared.guilds.storage import members
from shared.ids import new_id
from shared.messages.storage import read_states
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.transaction import Transaction

__all__ = ["channel_view", "guilds_of", "list_dms", "open_dm", "public"]

#: The guilds compared when judging whether two users share one: as many as a user may be in.
MAX_GUILDS = 200


def public(user_id: int) -> dict[str, Any]:
    """A user's public object (only its id when the account is gone)."""
    record = users.get_user(user_id)
    return record.user.public() if record is not None else {"id": str(user_id)}


def channel_view(
    dm: store.AnyDm, viewer: int, last_message_id: int | None = None
) -> dict[str, Any]:
    """A DM's or group DM's channel object as ``viewer`` sees it (the others: ``recipients``)."""
    if isinstance(dm, GroupDm):
        others = [public(u) for u in dm.others(viewer)]
        return dm.as_json(viewer, recipients=others, last_message_id=last_message_id)
    recipient = public(dm.other(viewer))
    return dm.as_json(viewer, recipient=recipient, last_message_id=last_message_id)


def open_dm(user_id: int, recipient_id: int) -> tuple[dict[str, Any], bool]:
    """The DM channel of the caller and ``recipient_id``, and whether this call created it."""
    check_recipient(user_id, recipient_id)
    recipient = users.get_user(recipient_id)
    if recipient is None:
        raise NotFound("Unknown user.", code="unknown_user")
    existing = store.pair_channel(user_id, recipient_id)
    if existing is None:
        check_may_message(
            guilds_of(user_id), guilds_of(recipient_id), recipient.user.allow_dms_from_guild_members
        )
        dm = DmChannel.between(new_id(), user_id, recipient_id)
        now = datetime.now(UTC)
        tx = Transaction()
        store.insert(tx, dm)
        for viewer in dm.users:
            event = GatewayEvent(
                EventName.CHANNEL_CREATE,
                None,
                channel_view(dm, viewer),
                actor_id=user_id,
                user_id=viewer,
                dm_channel_id=dm.id,
            )
            outbox.emit(tx, event, now)
        try:
            tx.commit()
        except store.PairTaken:
            existing = store.pair_channel(user_id, recipient_id)
            if existing is None:  # the winner's claim is committed before PairTaken is seen
                raise
        else:
            return channel_view(dm, user_id), True
    found = store.get(existing)
    if not isinstance(found, DmChannel):
        raise NotFound("Unknown channel.", code="unknown_channel")
    last = read_states.marks([found.id])[found.id].last_message_id
    return channel_view(found, user_id, last), False


def guilds_of(user_id: int) -> list[int]:
    """The guilds a user is in (as many as one may be in)."""
    return members.guild_ids_of(user_id, after=0, before=None, limit=MAX_GUILDS)


def list_dms(user_id: int) -> list[dict[str, Any]]:
    """The caller's DM and group DM channels, each with its ``last_message_id`` (one Query, one
    BatchGet of the groups, one of the marks)."""
    dms = store.list_of(user_id)
    marks = read_states.marks(dm.id for dm in dms)
    return [channel_view(dm, user_id, marks[dm.id].last_message_id) for dm in dms]
