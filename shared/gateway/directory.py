"""What the gateway needs to know of users and guilds, behind one small port.

The gateway asks which guilds and DMs a user belongs to (to subscribe a session), what a guild
looks like (GUILD_CREATE), and who of a set of users may see a channel (VIEW_CHANNEL, for
channel-bound events, and what more some events need). The guilds and auth areas own those
facts; ``set_directory`` installs their implementation at cold start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from shared.guilds.domain.permissions import Permission

__all__ = ["VIEW", "Directory", "get_directory", "set_directory"]

#: What :meth:`Directory.who_can_view` asks of a user unless an event needs more.
VIEW = Permission.VIEW_CHANNEL


class Directory(Protocol):
    def user(self, user_id: int) -> dict[str, Any]:
        """The user object sent in READY."""
        ...

    def guild_ids(self, user_id: int) -> list[int]:
        """The guilds the user is a member of."""
        ...

    def dm_channel_ids(self, user_id: int) -> list[int]:
        """The DM channels the user is in."""
        ...

    def guild_snapshot(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The GUILD_CREATE payload of a guild, as the user may see it."""
        ...

    def who_can_view(
        self, guild_id: int, channel_id: int, user_ids: Iterable[int], permission: Permission = VIEW
    ) -> set[int]:
        """Those of ``user_ids`` who hold ``permission`` (every bit of it; VIEW_CHANNEL unless
        an event needs more, see ``LogEvent.needs``) in the channel."""
        ...

    def who_could_view(
        self, guild_id: int, channel: Mapping[str, Any], user_ids: Iterable[int]
    ) -> set[int]:
        """Those of ``user_ids`` who may VIEW_CHANNEL a channel as its JSON shows it (its
        overwrites; the guild, roles and members as they are): a deleted channel, as its
        CHANNEL_DELETE carries it."""
        ...

    def read_state(self, user_id: int, guild_ids: list[int]) -> list[dict[str, Any]]:
        """READY's ``read_state``: the user's marker and mention count in every text channel
        they may view in ``guild_ids`` and in each of their DMs."""
        ...


_directory: Directory | None = None


def set_directory(directory: Directory) -> None:
    global _directory
    _directory = directory


def get_directory() -> Directory:
    if _directory is None:
        raise RuntimeError("no gateway directory installed")
    return _directory
