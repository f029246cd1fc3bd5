"""The gateway's directory, read from the store.

Until the guilds area lands on this branch it knows users by id only and no guilds: sessions
then hear their own user scope. (Filled in when guild membership and permissions merge.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.gateway.directory import Directory
from shared.storage import users

__all__ = ["StoreDirectory"]


class StoreDirectory(Directory):
    def user(self, user_id: int) -> dict[str, Any]:
        record = users.get_user(user_id)
        return record.user.private() if record is not None else {"id": str(user_id)}

    def guild_ids(self, user_id: int) -> list[int]:
        return []

    def dm_channel_ids(self, user_id: int) -> list[int]:
        return []

    def guild_snapshot(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {"id": str(guild_id)}

    def who_can_view(self, guild_id: int, channel_id: int, user_ids: Iterable[int]) -> set[int]:
        return set(user_ids)
