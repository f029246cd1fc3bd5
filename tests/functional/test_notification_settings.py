"""Notification settings under moto: defaults, changes, validation, limits and the event."""

from __future__ import annotations

from typing import Any

import pytest

from shared.notifications.domain.guild_settings import MAX_CHANNEL_OVERRIDES, Level
from shared.notifications.storage import guild_settings as settings_store
from shared.table.transaction import StaleWrite, Transaction
from tests.functional.apigw import request
from tests.functional.dm_race import acquaintances
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    new_user,
    seed_channels,
    text_channel,
)

END = "2030-01-02T03:04:05+00:00"


def patch(user: int, guild: str, body: dict[str, Any]) -> Any:
    return request("PATCH", f"/users/@me/guilds/{guild}/settings", user=user, body=body)


def listed(user: int) -> list[dict[str, Any]]:
    reply = request("GET", "/users/@me/guilds/settings", user=user)
    assert reply.status == 200, reply
    return list(reply.body)


@pytest.fixture
def owned(table: str) -> tuple[int, dict[str, Any]]:
    owner = new_user()
    return owner, create_guild(owner)


def test_a_user_who_changed_nothing_has_no_settings_and_the_default_is_only_mentions(
    owned: tuple[int, dict[str, Any]],
) -> None:
    owner, guild = owned
    assert listed(owner) == []
    reply = patch(owner, guild["id"], {"suppress_everyone": True})
    assert reply.status == 200, reply
    assert reply.body["message_notifications"] == 1  # untouched: the default


def test_a_change_is_kept_and_listed(owned: tuple[int, dict[str, Any]]) -> None:
    owner, guild = owned
    channel = text_channel(guild)
    body = {
        "message_notifications": 0,
        "muted": True,
        "mute_config": {"end_time": END},
        "channel_overrides": [{"channel_id": channel, "message_notifications": 2, "muted": False}],
    }
    reply = patch(owner, guild["id"], body)
    assert reply.status == 200, reply
    expected = {
        "guild_id": guild["id"],
        "message_notifications": 0,
        "muted": True,
        "mute_config": {"end_time": END},
        "suppress_everyone": False,
        "channel_overrides": [
            {
                "channel_id": channel,
                "message_notifications": 2,
                "muted": False,
                "mute_config": None,
            }
        ],
    }
    assert reply.body == expected
    assert listed(owner) == [expected]
    # a later change keeps what it does not name; an override back to the default goes
    unmute = {
        "muted": False,
        "channel_overrides": [{"channel_id": channel, "message_notifications": 3}],
    }
    after = patch(owner, guild["id"], unmute).body
    assert (after["message_notifications"], after["muted"], after["mute_config"]) == (
        0,
        False,
        None,
    )
    assert after["channel_overrides"] == []


def test_dm_settings_live_under_at_me(table: str) -> None:
    a, b = acquaintances()
    dm = request("POST", "/users/@me/channels", user=a, body={"recipient_id": str(b)}).body["id"]
    override = {"channel_id": dm, "message_notifications": 3, "muted": True, "mute_config": None}
    reply = patch(a, "@me", {"channel_overrides": [override]})
    assert reply.status == 200, reply
    assert reply.body["guild_id"] is None
    assert reply.body["channel_overrides"][0]["mute_config"] == {"end_time": None}
    assert listed(a) == [reply.body]
    assert listed(b) == []  # one's own settings only


@pytest.mark.parametrize(
    "body",
    [
        {"message_notifications": 3},
        {"message_notifications": "0"},
        {"message_notifications": True},
        {"muted": "yes"},
        {"mute_config": {"end_time": "tomorrow"}},
        {"mute_config": {"end_time": "2030-01-02T03:04:05"}},  # no time zone
        {"mute_config": {"end": END}},
        {"colour": 1},
        {"channel_overrides": [{"channel_id": "1", "message_notifications": 4}]},
        {"channel_overrides": [{"channel_id": "x", "message_notifications": 0}]},
        {"channel_overrides": [{"message_notifications": 0}]},
    ],
)
def test_bad_values_are_a_400(owned: tuple[int, dict[str, Any]], body: dict[str, Any]) -> None:
    owner, guild = owned
    reply = patch(owner, guild["id"], body)
    assert reply.status == 400, reply
    assert reply.body["code"] in {"invalid", "invalid_id"}
    assert listed(owner) == []


def test_a_guild_the_caller_is_not_in_is_a_404(owned: tuple[int, dict[str, Any]]) -> None:
    _, guild = owned
    stranger = new_user()
    reply = patch(stranger, guild["id"], {"message_notifications": 0})
    assert (reply.status, reply.body["code"]) == (404, "unknown_guild")
    assert patch(stranger, "nope", {}).status == 400


def test_an_override_of_another_guilds_channel_is_a_400(
    owned: tuple[int, dict[str, Any]],
) -> None:
    owner, guild = owned
    elsewhere = text_channel(create_guild(owner))
    override = {"channel_id": elsewhere, "message_notifications": 0}
    reply = patch(owner, guild["id"], {"channel_overrides": [override]})
    assert (reply.status, reply.body["code"]) == (400, "unknown_channel")
    dm_reply = patch(owner, "@me", {"channel_overrides": [override]})
    assert (dm_reply.status, dm_reply.body["code"]) == (400, "unknown_channel")


def test_overrides_are_capped_at_the_limit(owned: tuple[int, dict[str, Any]]) -> None:
    owner, guild = owned
    channels = seed_channels(guild, MAX_CHANNEL_OVERRIDES + 1)

    def overrides(ids: list[str]) -> dict[str, Any]:
        return {"channel_overrides": [{"channel_id": c, "message_notifications": 0} for c in ids]}

    too_many = patch(owner, guild["id"], overrides(channels))
    assert (too_many.status, too_many.body["code"]) == (400, "invalid")
    full = patch(owner, guild["id"], overrides(channels[:MAX_CHANNEL_OVERRIDES]))
    assert full.status == 200, full
    assert len(full.body["channel_overrides"]) == MAX_CHANNEL_OVERRIDES
    one_more = patch(owner, guild["id"], overrides(channels[MAX_CHANNEL_OVERRIDES:]))
    assert (one_more.status, one_more.body["code"]) == (400, "too_many_overrides")
    # replacing one that is there keeps the count: allowed at the limit
    again = patch(owner, guild["id"], overrides(channels[:1]))
    assert again.status == 200, again


def test_a_change_tells_the_users_own_sessions(owned: tuple[int, dict[str, Any]]) -> None:
    owner, guild = owned
    tap = StreamTap()
    tap.read()
    reply = patch(owner, guild["id"], {"message_notifications": 2})
    updates = [e for e in tap.events() if e["t"] == "USER_GUILD_SETTINGS_UPDATE"]
    assert [(e["user_id"], e["guild_id"], e["d"]) for e in updates] == [
        (str(owner), None, reply.body)
    ]


def test_a_write_over_a_change_made_since_its_read_is_refused(
    owned: tuple[int, dict[str, Any]],
) -> None:
    """Two devices at once: the one that read before the other wrote must read again (the
    service does, through ``retry_stale``), so neither change is lost."""
    owner, guild = owned
    guild_id = int(guild["id"])
    fresh, never = settings_store.get(owner, guild_id)
    assert never is None
    patch(owner, guild["id"], {"suppress_everyone": True})  # the other device, meanwhile
    tx = Transaction()
    settings_store.put(tx, owner, fresh.with_changes({"level": Level.ALL_MESSAGES}), never)
    with pytest.raises(StaleWrite):
        tx.commit()
    current, version = settings_store.get(owner, guild_id)
    assert current.suppress_everyone and current.level is Level.ONLY_MENTIONS
    tx = Transaction()
    settings_store.put(tx, owner, current.with_changes({"level": Level.ALL_MESSAGES}), version)
    tx.commit()
    assert listed(owner)[0]["message_notifications"] == 0
    assert listed(owner)[0]["suppress_everyone"] is True
