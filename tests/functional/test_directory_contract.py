"""The directory contract (``tests/directory_contract.py``) against the store's directory on
moto, its world made through the REST API as clients make it."""

from __future__ import annotations

from typing import Any

import pytest

from shared.gateway.store_directory import StoreDirectory
from shared.guilds.domain.permissions import Permission
from tests.directory_contract import DirectoryContract
from tests.functional.apigw import request
from tests.functional.dm_race import account
from tests.functional.guildkit import create_guild, join, text_channel


class StoreWorld:
    def __init__(self) -> None:
        self.directory = StoreDirectory()
        self._guilds: dict[int, dict[str, Any]] = {}

    def user(self) -> int:
        return account()

    def guild(self, owner_id: int) -> tuple[int, int]:
        guild = create_guild(owner_id)
        self._guilds[int(guild["id"])] = guild
        return int(guild["id"]), int(text_channel(guild))

    def join(self, guild_id: int, user_id: int) -> None:
        join(self._guilds[guild_id], user_id)

    def hide(self, guild_id: int, channel_id: int, user_id: int) -> dict[str, Any]:
        owner = int(self._guilds[guild_id]["owner_id"])
        deny = {"type": 1, "allow": "0", "deny": str(int(Permission.VIEW_CHANNEL))}
        url = f"/channels/{channel_id}/permissions/{user_id}"
        assert request("PUT", url, user=owner, body=deny).status == 204
        shown = request("GET", f"/channels/{channel_id}", user=owner)
        assert shown.status == 200, shown
        return dict(shown.body)

    def dm(self, user_id: int, recipient_id: int) -> int:
        body = {"recipient_id": str(recipient_id)}
        opened = request("POST", "/users/@me/channels", user=user_id, body=body)
        assert opened.status in (200, 201), opened
        return int(opened.body["id"])


class TestStoreDirectory(DirectoryContract):
    @pytest.fixture
    def world(self, table: str) -> StoreWorld:
        return StoreWorld()
