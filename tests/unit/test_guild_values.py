"""The guild area's value objects validate themselves and show themselves as clients expect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import Invalid
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.guild import Guild, check_guild_name
from shared.guilds.domain.invite import Invite, is_code, new_invite_code
from shared.guilds.domain.member import Member
from shared.guilds.domain.permissions import Overwrite, OverwriteType, Permission
from shared.guilds.domain.role import Role
from shared.outbox.domain.events import Change, changes_between

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_guild_names_are_trimmed_and_bounded() -> None:
    assert check_guild_name("  ab ") == "ab"
    assert check_guild_name("x" * limits.GUILD_NAME_MAX) == "x" * limits.GUILD_NAME_MAX
    for bad in ("a", " a ", "x" * (limits.GUILD_NAME_MAX + 1)):
        with pytest.raises(Invalid):
            check_guild_name(bad)


def test_guild_json_uses_string_ids() -> None:
    shown = Guild(id=5, name="Hi", owner_id=7, created_at=NOW).as_json()
    assert shown["id"] == "5"
    assert shown["owner_id"] == "7"


def test_channel_rules() -> None:
    with pytest.raises(Invalid):
        Channel(id=1, guild_id=2, type=ChannelType.DM, name="dm")
    with pytest.raises(Invalid):
        Channel(id=1, guild_id=2, type=ChannelType.CATEGORY, name="c", parent_id=3)
    with pytest.raises(Invalid):
        Channel(id=1, guild_id=2, type=ChannelType.TEXT, name="")
    overwrites = {i: Overwrite(i, OverwriteType.MEMBER) for i in range(limits.MAX_OVERWRITES + 1)}
    with pytest.raises(Invalid):
        Channel(id=1, guild_id=2, type=ChannelType.TEXT, name="x", overwrites=overwrites)


def test_channel_json_shows_type_specific_fields_and_overwrites() -> None:
    ow = Overwrite(9, OverwriteType.ROLE, allow=int(Permission.VIEW_CHANNEL), deny=0)
    text = Channel(id=1, guild_id=2, type=ChannelType.TEXT, name="t", topic="x", overwrites={9: ow})
    shown = text.as_json()
    assert shown["topic"] == "x"
    assert "bitrate" not in shown
    assert shown["permission_overwrites"] == [{"id": "9", "type": 0, "allow": "1024", "deny": "0"}]
    voice = Channel(id=1, guild_id=2, type=ChannelType.VOICE, name="v", bitrate=64_000).as_json()
    assert voice["bitrate"] == 64_000
    assert "topic" not in voice


def test_roles() -> None:
    everyone = Role(id=2, guild_id=2, name="@everyone", permissions=Permission(0), position=0)
    assert everyone.is_everyone
    with pytest.raises(Invalid):
        Role(id=2, guild_id=2, name="@everyone", permissions=Permission(0), position=3)
    with pytest.raises(Invalid):
        Role(id=3, guild_id=2, name="r", permissions=Permission(0), position=1, color=1 << 24)
    shown = Role(id=3, guild_id=2, name="r", permissions=Permission.KICK_MEMBERS, position=1)
    assert shown.as_json()["permissions"] == "2"


def test_members_and_timeouts() -> None:
    member = Member(guild_id=2, user_id=3, joined_at=NOW, roles=frozenset({7, 8}))
    assert not member.timed_out(NOW)
    timed = Member(
        guild_id=2, user_id=3, joined_at=NOW, communication_disabled_until=NOW + timedelta(1)
    )
    assert timed.timed_out(NOW)
    assert not timed.timed_out(NOW + timedelta(days=2))
    assert member.as_json(frozenset({7}))["roles"] == ["7"]
    with pytest.raises(Invalid):
        Member(guild_id=2, user_id=3, joined_at=NOW, nick="x" * (limits.NICK_MAX + 1))
    with pytest.raises(Invalid):
        Member(guild_id=2, user_id=3, joined_at=NOW, roles=frozenset({2}))


def test_invites_expire_and_run_out() -> None:
    invite = Invite(code="abc", guild_id=1, channel_id=2, inviter_id=3, created_at=NOW,
                    max_age=60, max_uses=2, uses=1)  # fmt: skip
    assert invite.usable(NOW + timedelta(seconds=59))
    assert not invite.usable(NOW + timedelta(seconds=60))
    assert not Invite(code="abc", guild_id=1, channel_id=2, inviter_id=3, created_at=NOW,
                      max_uses=2, uses=2).usable(NOW)  # fmt: skip
    forever = Invite(code="abc", guild_id=1, channel_id=2, inviter_id=3, created_at=NOW,
                     max_age=0, max_uses=0, uses=10_000)  # fmt: skip
    assert forever.usable(NOW + timedelta(days=3650))
    assert forever.expires_at is None
    for bad in ({"max_age": -1}, {"max_age": 604_801}, {"max_uses": 101}):
        with pytest.raises(Invalid):
            Invite(code="abc", guild_id=1, channel_id=2, inviter_id=3, created_at=NOW, **bad)


def test_invite_codes() -> None:
    codes = {new_invite_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(is_code(c) for c in codes)
    assert not is_code("no-dashes")
    assert not is_code("")
    assert not is_code("x" * 33)


def test_changes_between_lists_only_what_changed() -> None:
    before = {"name": "a", "topic": "t", "position": 1}
    after = {"name": "b", "topic": "t", "position": 1, "extra": 1}
    assert changes_between(before, after, ("name", "topic", "position")) == (
        Change("name", "a", "b"),
    )
    created = changes_between({}, {"name": "n"}, ("name",))
    assert created[0].as_json() == {"key": "name", "new_value": "n"}
