"""Invite items: ``PK=INVITE#code, SK=INVITE``, indexed in GSI1 by guild (for the purge).

``uses`` grows only through :func:`use`, a conditional update inside the join's transaction:
the condition (not expired, not used up) and the increment are one atomic step, so two joins
racing for the last use cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.errors import NotFound
from shared.guilds.domain.invite import Invite
from shared.table.entity import Entity, get_item
from shared.table.keys import INVITE_SK, guild_invites_pk, guild_invites_sk, invite_pk
from shared.table.transaction import Transaction

__all__ = ["InviteRecord", "get", "insert", "unknown_invite", "use"]


def unknown_invite() -> NotFound:
    return NotFound("Unknown invite.", code="unknown_invite")


class InviteRecord(Entity, discriminator="invite"):
    code = UnicodeAttribute()
    guild_id = NumberAttribute()
    channel_id = NumberAttribute()
    inviter_id = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    max_age = NumberAttribute(default=0)
    max_uses = NumberAttribute(default=0)
    uses = NumberAttribute(default=0)


def _to_invite(record: InviteRecord) -> Invite:
    return Invite(
        code=record.code,
        guild_id=int(record.guild_id),
        channel_id=int(record.channel_id),
        inviter_id=int(record.inviter_id),
        created_at=record.created_at,
        max_age=int(record.max_age),
        max_uses=int(record.max_uses),
        uses=int(record.uses),
    )


def get(code: str) -> Invite | None:
    record = get_item(InviteRecord, invite_pk(code), INVITE_SK)
    return None if record is None else _to_invite(record)


def insert(tx: Transaction, invite: Invite) -> None:
    """A new invite; it expires by TTL after ``max_age`` (reads check the time themselves,
    since TTL deletes lazily)."""
    tx.insert(
        InviteRecord(
            invite_pk(invite.code),
            INVITE_SK,
            code=invite.code,
            guild_id=invite.guild_id,
            channel_id=invite.channel_id,
            inviter_id=invite.inviter_id,
            created_at=invite.created_at,
            max_age=invite.max_age,
            max_uses=invite.max_uses,
            uses=0,
            expires_at=invite.expires_at,
            gsi1pk=guild_invites_pk(invite.guild_id),
            gsi1sk=guild_invites_sk(invite.code),
        )
    )


def use(tx: Transaction, code: str, now: datetime) -> None:
    """Count one use, in the same step as checking that the invite may still be used."""
    usable = (
        InviteRecord.pk.exists()
        & (InviteRecord.expires_at.does_not_exist() | (InviteRecord.expires_at > now))
        & ((InviteRecord.max_uses == 0) | (InviteRecord.uses < InviteRecord.max_uses))
    )
    tx.update(
        InviteRecord(invite_pk(code), INVITE_SK),
        actions=[InviteRecord.uses.add(1)],
        condition=usable,
        on_fail=unknown_invite(),
    )
