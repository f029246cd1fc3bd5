"""Request bodies and answers of the notification settings routes (the rules live in
``shared/notifications/domain``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, StrictInt

from shared.api import RequestBody, Snowflake
from shared.notifications.domain.guild_settings import MAX_CHANNEL_OVERRIDES
from shared.responses import Id, ResponseBody


class MuteConfig(RequestBody):
    model_config = ConfigDict(extra="forbid")
    end_time: AwareDatetime | None = Field(description="when the mute ends; null: never")


class OverrideBody(RequestBody):
    model_config = ConfigDict(extra="forbid")
    channel_id: Snowflake
    message_notifications: StrictInt = Field(ge=0, le=3, description="3: as the guild says")
    muted: StrictBool = False
    mute_config: MuteConfig | None = None


class SettingsBody(RequestBody):
    model_config = ConfigDict(extra="forbid")
    message_notifications: StrictInt | None = Field(
        default=None, ge=0, le=2, description="0 every message, 1 only mentions, 2 nothing"
    )
    muted: StrictBool | None = None
    mute_config: MuteConfig | None = None
    suppress_everyone: StrictBool | None = None
    channel_overrides: list[OverrideBody] | None = Field(
        default=None,
        max_length=MAX_CHANNEL_OVERRIDES,
        description="each replaces its channel's override; one that changes nothing removes it",
    )


def end_of(config: MuteConfig | None) -> datetime | None:
    """A mute's end time (None: until turned off)."""
    return None if config is None else config.end_time


class MuteEnd(ResponseBody):
    end_time: str | None


class ChannelOverride(ResponseBody):
    channel_id: Id
    message_notifications: int
    muted: bool
    mute_config: MuteEnd | None


class GuildNotificationSettings(ResponseBody):
    """One guild's notification settings (``guild_id`` null: the DMs')."""

    guild_id: Id | None
    message_notifications: int
    muted: bool
    mute_config: MuteEnd | None
    suppress_everyone: bool
    channel_overrides: list[ChannelOverride]
