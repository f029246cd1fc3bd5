"""The directory contract (``tests/directory_contract.py``) against the in-memory fake."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from tests.directory_contract import DirectoryContract, hidden_overwrite
from tests.fake_directory import FakeDirectory


class FakeWorld:
    def __init__(self) -> None:
        self.directory = FakeDirectory()
        self._ids = count(1000)

    def user(self) -> int:
        user_id = next(self._ids)
        self.directory.add_user(user_id)
        return user_id

    def guild(self, owner_id: int) -> tuple[int, int]:
        guild_id, channel_id = next(self._ids), next(self._ids)
        self.directory.add_guild(guild_id, owner_id, channels=[channel_id])
        return guild_id, channel_id

    def join(self, guild_id: int, user_id: int) -> None:
        self.directory.join(guild_id, user_id)

    def hide(self, guild_id: int, channel_id: int, user_id: int) -> dict[str, Any]:
        self.directory.hidden.add((channel_id, user_id))
        return {
            "id": str(channel_id),
            "guild_id": str(guild_id),
            "type": 0,
            "permission_overwrites": [hidden_overwrite(user_id)],
        }

    def dm(self, user_id: int, recipient_id: int) -> int:
        channel_id = next(self._ids)
        self.directory.open_dm(channel_id, user_id, recipient_id)
        return channel_id


class TestFakeDirectory(DirectoryContract):
    @pytest.fixture
    def world(self) -> FakeWorld:
        return FakeWorld()
