"""The gateway's directory, read from the store: users, guild membership and permissions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from shared.auth.storage import users
from shared.dms.storage import dms
from shared.gateway.directory import VIEW, Directory
from shared.guilds.access import holders
from shared.guilds.domain.channel import ChannelType, overwrites_from_json
from shared.guilds.domain.permissions import Permission
from shared.guilds.guilds import snapshot_for, viewable_channels
from shared.guilds.storage import channels, guilds, members, roles
from shared.messages import read_state
from shared.messages.storage import read_states
from shared.presence.presence import presences_of
from shared.voice.states import guild_voice_states as voice_states_json

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
        return dms.channel_ids_of(user_id)

    def guild_snapshot(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The guild with its roles, the channels the user may see, and its members."""
        full = snapshot_for(guild_id, user_id)
        marks = read_states.marks(int(c["id"]) for c in full["channels"])
        for channel in full["channels"]:  # unread = last_message_id > the READY marker
            last = marks[int(channel["id"])].last_message_id
            channel["last_message_id"] = None if last is None else str(last)
        full["members"] = [m.as_json() for m in members.page(guild_id, after=0, limit=1000)]
        full["presences"] = presences_of([int(m["user"]["id"]) for m in full["members"]])
        # Who is in a voice channel is told only to those who may see the channel.
        full["voice_states"] = voice_states_json(guild_id, {int(c["id"]) for c in full["channels"]})
        return full

    def _viewable_channels(self, guild_id: int, user_id: int) -> set[int]:
        guild = guilds.get(guild_id)
        member = members.get(guild_id, user_id)
        if guild is None or member is None:
            return set()
        guild_roles = roles.list_for_guild(guild_id)
        return {
            c.id
            for c in viewable_channels(
                guild, guild_roles, member[0], channels.list_for_guild(guild_id), datetime.now(UTC)
            )
        }

    def who_can_view(
        self, guild_id: int, channel_id: int, user_ids: Iterable[int], permission: Permission = VIEW
    ) -> set[int]:
        """Those of ``user_ids`` who hold ``permission`` there: one read per kind, then pure
        checks."""
        found = channels.get(guild_id, channel_id)
        if found is None:
            return set()
        return holders(guild_id, found[0].overwrites, user_ids, permission, datetime.now(UTC))

    def who_could_view(
        self, guild_id: int, channel: Mapping[str, Any], user_ids: Iterable[int]
    ) -> set[int]:
        overwrites = overwrites_from_json(channel.get("permission_overwrites") or [])
        return holders(guild_id, overwrites, user_ids, Permission.VIEW_CHANNEL, datetime.now(UTC))

    def read_state(self, user_id: int, guild_ids: list[int]) -> list[dict[str, Any]]:
        """One Query for the user's markers; per guild its viewable text channels' marks."""
        states = read_states.of_user(user_id)
        entries: list[dict[str, Any]] = []
        for guild_id in guild_ids:
            member = members.get(guild_id, user_id)
            if member is None:
                continue
            visible = self._viewable_channels(guild_id, user_id)
            text = [
                c.id
                for c in channels.list_for_guild(guild_id)
                if c.id in visible and c.type is ChannelType.TEXT
            ]
            entries += read_state.entries(text, states, member[0].roles)
        entries += read_state.entries(self.dm_channel_ids(user_id), states)
        return entries
