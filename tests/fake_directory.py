"""The gateway's directory port (``shared.gateway.directory``) in memory, for every test that
needs one; ``tests/directory_contract.py`` holds it to what the store's directory does.

A world of users, guilds (an owner, members, text channels) and DMs; a member may not view a
channel when ``(channel, member)`` is in :attr:`FakeDirectory.hidden` (a member overwrite that
denies VIEW_CHANNEL); a member holds ``@everyone``'s default permissions, an owner all of them.
It counts the questions the fan-out asks it (:attr:`~FakeDirectory.asked`,
:attr:`~FakeDirectory.judged`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.gateway.directory import VIEW
from shared.guilds.domain.permissions import DEFAULT_EVERYONE, Permission

__all__ = ["FakeDirectory"]


class FakeDirectory:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.owners: dict[int, int] = {}  # guild → owner
        self.members: dict[int, set[int]] = {}  # guild → members
        self.channels: dict[int, int] = {}  # text channel → guild
        self.dms: dict[int, set[int]] = {}  # DM channel → its two users
        self.hidden: set[tuple[int, int]] = set()  # (channel, member) who may not view it
        self.asked: list[set[int]] = []
        self.judged: list[dict[str, Any]] = []

    # -- the world

    def add_user(self, user_id: int, username: str | None = None) -> None:
        self.names[user_id] = username or f"user{user_id}"

    def add_guild(
        self,
        guild_id: int,
        owner_id: int,
        channels: Iterable[int] = (),
        members: Iterable[int] = (),
    ) -> None:
        self.owners[guild_id] = owner_id
        self.members[guild_id] = {owner_id, *members}
        for channel_id in channels:
            self.channels[channel_id] = guild_id

    def join(self, guild_id: int, user_id: int) -> None:
        self.members[guild_id].add(user_id)

    def open_dm(self, channel_id: int, user_id: int, recipient_id: int) -> None:
        self.dms[channel_id] = {user_id, recipient_id}

    # -- the port

    def user(self, user_id: int) -> dict[str, Any]:
        name = self.names.get(user_id)
        return {"id": str(user_id)} if name is None else {"id": str(user_id), "username": name}

    def guild_ids(self, user_id: int) -> list[int]:
        return sorted(g for g, members in self.members.items() if user_id in members)

    def dm_channel_ids(self, user_id: int) -> list[int]:
        return sorted(c for c, users in self.dms.items() if user_id in users)

    def guild_snapshot(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": f"guild{guild_id}",
            "owner_id": str(self.owners[guild_id]),
            "channels": [{"id": str(c), "type": 0} for c in self._viewable(guild_id, user_id)],
        }

    def who_can_view(
        self, guild_id: int, channel_id: int, user_ids: Iterable[int], permission: Permission = VIEW
    ) -> set[int]:
        users = set(user_ids)
        self.asked.append(users)
        if self.channels.get(channel_id) != guild_id:
            return set()
        return {u for u in users if self._holds(guild_id, u, permission, channel_id)}

    def who_could_view(
        self, guild_id: int, channel: Mapping[str, Any], user_ids: Iterable[int]
    ) -> set[int]:
        self.judged.append(dict(channel))
        denied = {
            int(o["id"])
            for o in channel.get("permission_overwrites") or []
            if int(o["type"]) == 1 and int(o["deny"]) & Permission.VIEW_CHANNEL
        }
        return {
            u
            for u in user_ids
            if self._holds(guild_id, u, Permission.VIEW_CHANNEL)
            and (u not in denied or u == self.owners[guild_id])
        }

    def read_state(self, user_id: int, guild_ids: list[int]) -> list[dict[str, Any]]:
        channels = [c for g in guild_ids for c in self._viewable(g, user_id)]
        return [
            {"id": str(c), "channel_id": str(c), "last_message_id": None, "mention_count": 0}
            for c in channels + self.dm_channel_ids(user_id)
        ]

    # -- the rules

    def _holds(
        self, guild_id: int, user_id: int, permission: Permission, channel_id: int | None = None
    ) -> bool:
        if user_id not in self.members.get(guild_id, set()):
            return False
        if user_id == self.owners[guild_id]:
            return True
        if channel_id is not None and (channel_id, user_id) in self.hidden:
            return False  # without VIEW_CHANNEL, no permission of the channel holds
        return permission & DEFAULT_EVERYONE == permission

    def _viewable(self, guild_id: int, user_id: int) -> list[int]:
        return sorted(
            c
            for c, g in self.channels.items()
            if g == guild_id and self._holds(guild_id, user_id, Permission.VIEW_CHANNEL, c)
        )
