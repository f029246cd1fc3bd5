"""The contract of the gateway's directory port (``shared.gateway.directory.Directory``): what
every implementation promises, run against the in-memory fake (``tests/unit``) and the store's
directory on moto (``tests/functional``), so that the fake cannot drift from the real one.

A suite subclasses :class:`DirectoryContract` and gives a ``world`` fixture: a
:class:`World` that builds users, guilds and DMs in its implementation's way.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.gateway.directory import Directory
from shared.guilds.domain.permissions import Permission

__all__ = ["DirectoryContract", "World", "hidden_overwrite"]


def hidden_overwrite(user_id: int) -> dict[str, Any]:
    """A member overwrite that takes VIEW_CHANNEL from ``user_id``, as a channel's JSON shows it."""
    return {"id": str(user_id), "type": 1, "allow": "0", "deny": str(int(Permission.VIEW_CHANNEL))}


class World(Protocol):
    """Users, guilds and DMs, made as one implementation's world makes them."""

    directory: Directory

    def user(self) -> int:
        """A new user with an account."""
        ...

    def guild(self, owner_id: int) -> tuple[int, int]:
        """A new guild of ``owner_id``: its id and the id of its text channel."""
        ...

    def join(self, guild_id: int, user_id: int) -> None: ...

    def hide(self, guild_id: int, channel_id: int, user_id: int) -> dict[str, Any]:
        """Take VIEW_CHANNEL from a member in one channel: the channel's JSON now."""
        ...

    def dm(self, user_id: int, recipient_id: int) -> int:
        """The DM channel the two open (they share a guild)."""
        ...


class DirectoryContract:
    """The port's promises; a subclass provides the ``world`` fixture."""

    def test_a_user_is_named_by_their_id(self, world: World) -> None:
        user = world.user()
        assert world.directory.user(user)["id"] == str(user)

    def test_guild_ids_are_the_guilds_a_user_belongs_to(self, world: World) -> None:
        owner, member, stranger = world.user(), world.user(), world.user()
        guild, _ = world.guild(owner)
        other, _ = world.guild(stranger)
        assert world.directory.guild_ids(member) == []
        world.join(guild, member)
        assert world.directory.guild_ids(owner) == [guild]
        assert world.directory.guild_ids(member) == [guild]
        assert world.directory.guild_ids(stranger) == [other]

    def test_a_dm_is_listed_for_its_two_users_only(self, world: World) -> None:
        first, second, third = world.user(), world.user(), world.user()
        guild, _ = world.guild(first)
        world.join(guild, second)
        world.join(guild, third)
        channel = world.dm(first, second)
        assert world.directory.dm_channel_ids(first) == [channel]
        assert world.directory.dm_channel_ids(second) == [channel]
        assert world.directory.dm_channel_ids(third) == []

    def test_a_snapshot_holds_the_channels_the_user_may_view(self, world: World) -> None:
        owner, member, kept_out = world.user(), world.user(), world.user()
        guild, channel = world.guild(owner)
        world.join(guild, member)
        world.join(guild, kept_out)
        world.hide(guild, channel, kept_out)
        for user, sees in ((owner, True), (member, True), (kept_out, False)):
            snapshot = world.directory.guild_snapshot(guild, user)
            assert snapshot["id"] == str(guild)
            assert (str(channel) in {c["id"] for c in snapshot["channels"]}) is sees

    def test_who_can_view_is_the_members_asked_about_who_may_view(self, world: World) -> None:
        owner, member, kept_out, stranger = (world.user() for _ in range(4))
        guild, channel = world.guild(owner)
        world.join(guild, member)
        world.join(guild, kept_out)
        world.hide(guild, channel, kept_out)
        everyone = {owner, member, kept_out, stranger}
        assert world.directory.who_can_view(guild, channel, everyone) == {owner, member}
        assert world.directory.who_can_view(guild, channel, {member}) == {member}
        assert world.directory.who_can_view(guild, channel, set()) == set()

    def test_who_can_view_wants_every_bit_of_the_permission(self, world: World) -> None:
        owner, member = world.user(), world.user()
        guild, channel = world.guild(owner)
        world.join(guild, member)
        both = Permission.VIEW_CHANNEL | Permission.MANAGE_MESSAGES
        assert world.directory.who_can_view(guild, channel, {owner, member}, both) == {owner}
        send = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES
        assert world.directory.who_can_view(guild, channel, {owner, member}, send) == {
            owner,
            member,
        }

    def test_a_channel_of_another_guild_has_no_viewers_here(self, world: World) -> None:
        owner = world.user()
        guild, _ = world.guild(owner)
        _, elsewhere = world.guild(owner)
        assert world.directory.who_can_view(guild, elsewhere, {owner}) == set()

    def test_who_could_view_judges_a_channel_as_its_json_shows_it(self, world: World) -> None:
        owner, member, kept_out, stranger = (world.user() for _ in range(4))
        guild, channel = world.guild(owner)
        world.join(guild, member)
        world.join(guild, kept_out)
        shown = world.hide(guild, channel, kept_out)
        assert hidden_overwrite(kept_out) in shown["permission_overwrites"]
        everyone = {owner, member, kept_out, stranger}
        assert world.directory.who_could_view(guild, shown, everyone) == {owner, member}
        # As the JSON shows it: without the overwrite, the member was one who could view.
        opened = {**shown, "permission_overwrites": []}
        assert world.directory.who_could_view(guild, opened, everyone) == {
            owner,
            member,
            kept_out,
        }

    def test_read_state_covers_the_viewable_channels_and_the_dms(self, world: World) -> None:
        owner, member, kept_out = world.user(), world.user(), world.user()
        guild, channel = world.guild(owner)
        other, elsewhere = world.guild(owner)
        world.join(guild, member)
        world.join(guild, kept_out)
        world.hide(guild, channel, kept_out)
        dm = world.dm(owner, member)

        def channels(user: int, guild_ids: list[int]) -> set[str]:
            entries = world.directory.read_state(user, guild_ids)
            assert all(e["id"] == e["channel_id"] for e in entries)
            return {e["channel_id"] for e in entries}

        assert channels(member, [guild]) == {str(channel), str(dm)}
        assert channels(member, [guild, other]) == {str(channel), str(dm)}  # not in `other`
        assert channels(owner, [guild, other]) == {str(channel), str(elsewhere), str(dm)}
        assert channels(kept_out, [guild]) == set()
