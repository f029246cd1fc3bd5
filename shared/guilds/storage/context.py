"""The permission context of one request, read in one BatchGetItem: the guild, the caller's
membership, ``@everyone``, and (for channel routes) the channel."""

from __future__ import annotations

from dataclasses import dataclass

from shared.guilds.domain.channel import Channel
from shared.guilds.domain.guild import Guild
from shared.guilds.domain.member import Member
from shared.guilds.domain.role import Role
from shared.guilds.storage.channels import ChannelRecord, to_channel
from shared.guilds.storage.guilds import GuildRecord, to_guild
from shared.guilds.storage.members import MemberRecord, to_member
from shared.guilds.storage.roles import RoleRecord, to_role
from shared.table.entity import Entity, store_errors
from shared.table.keys import GUILD_SK, channel_sk, guild_pk, member_sk, role_sk

__all__ = ["Context", "load_context"]


@dataclass(frozen=True)
class Context:
    """What was found; None for what was not (a deleted guild counts as not found)."""

    guild: Guild | None
    member: tuple[Member, int] | None
    everyone: Role | None
    channel: tuple[Channel, int] | None


def load_context(guild_id: int, user_id: int, channel_id: int | None) -> Context:
    pk = guild_pk(guild_id)
    keys = [(pk, GUILD_SK), (pk, member_sk(user_id)), (pk, role_sk(guild_id))]
    if channel_id is not None:
        keys.append((pk, channel_sk(channel_id)))
    guild: Guild | None = None
    member: tuple[Member, int] | None = None
    everyone: Role | None = None
    channel: tuple[Channel, int] | None = None
    with store_errors():
        for item in Entity.batch_get(keys, consistent_read=True):
            if isinstance(item, GuildRecord):
                guild = None if item.deleted_at is not None else to_guild(item)
            elif isinstance(item, MemberRecord):
                member = (to_member(item), int(item.version or 0))
            elif isinstance(item, RoleRecord):
                everyone = to_role(item)
            elif isinstance(item, ChannelRecord):
                channel = (to_channel(item), int(item.version or 0))
    return Context(guild, member, everyone, channel)
