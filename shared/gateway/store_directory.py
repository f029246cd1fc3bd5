"""The gateway's directory, read from the store: users, guild membership and permissions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from shared.domain.permissions import Permission, compute_permissions
from shared.gateway.directory import Directory
from shared.services.guilds import snapshot
from shared.services.presence import presences_of
from shared.services.voice import guild_voice_states as voice_states_json
from shared.storage import channels, guilds, members, roles, users

__all__ = ["StoreDirectory"]

#: The most guilds a user's session subscribes to (Discord's own cap for a user is 200).
MAX_GUILDS = 200


class StoreDirectory(Directory):
    def user(self, user_id: int) -> dict[str, Any]:
        record = users.get_user(user_id)
        return record.user.private() if record is not None else {"id": str(user_id)}

    def guild_ids(self, user_id: int) -> list[int]:
        return members.guild_ids_of(user_id, after=0, before=None, limit=MAX_GUILDS)

    def dm_channel_ids(self, user_id: int) -> list[int]:
        return []

    def guild_snapshot(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The guild with its roles, the channels the user may see, and its members."""
        full = snapshot(guild_id)
        visible = self._viewable_channels(guild_id, user_id)
        full["channels"] = [c for c in full["channels"] if int(c["id"]) in visible]
        full["members"] = [m.as_json() for m in members.page(guild_id, after=0, limit=1000)]
        full["presences"] = presences_of([int(m["user"]["id"]) for m in full["members"]])
        full["voice_states"] = voice_states_json(guild_id)
        return full

    def _viewable_channels(self, guild_id: int, user_id: int) -> set[int]:
        guild = guilds.get(guild_id)
        member = members.get(guild_id, user_id)
        if guild is None or member is None:
            return set()
        all_roles = {r.id: r for r in roles.list_for_guild(guild_id)}
        everyone = all_roles.get(guild_id)
        mine = {r: all_roles[r].permissions for r in member[0].roles if r in all_roles}
        now = datetime.now(UTC)
        return {
            channel.id
            for channel in channels.list_for_guild(guild_id)
            if compute_permissions(
                guild_id=guild_id,
                owner_id=guild.owner_id,
                user_id=user_id,
                everyone=everyone.permissions if everyone else 0,
                roles=mine,
                overwrites=channel.overwrites,
                timed_out=member[0].timed_out(now),
            )
            & Permission.VIEW_CHANNEL
        }

    def who_can_view(self, guild_id: int, channel_id: int, user_ids: Iterable[int]) -> set[int]:
        """Those of ``user_ids`` who may VIEW_CHANNEL: one read per kind, then pure checks."""
        wanted = set(user_ids)
        guild = guilds.get(guild_id)
        found = channels.get(guild_id, channel_id)
        if guild is None or found is None or not wanted:
            return set()
        channel = found[0]
        all_roles = {r.id: r.permissions for r in roles.list_for_guild(guild_id)}
        everyone = all_roles.get(guild_id, 0)
        now = datetime.now(UTC)
        return {
            user_id
            for user_id, member in members.get_many(guild_id, wanted).items()
            if compute_permissions(
                guild_id=guild_id,
                owner_id=guild.owner_id,
                user_id=user_id,
                everyone=everyone,
                roles={r: all_roles[r] for r in member.roles if r in all_roles},
                overwrites=channel.overwrites,
                timed_out=member.timed_out(now),
            )
            & Permission.VIEW_CHANNEL
        }
