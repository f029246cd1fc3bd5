"""Notification settings: ``GET /users/@me/guilds/settings`` and
``PATCH /users/@me/guilds/{guild_id}/settings`` (``@me``: the settings of one's DMs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.users.models import GuildNotificationSettings, SettingsBody, end_of
from shared.errors import Invalid
from shared.http import caller_id
from shared.ids import parse_id
from shared.notifications import settings
from shared.notifications.domain.guild_settings import DM_SETTINGS_ID, ChannelOverride, Level
from shared.responses import answers

router = APIGatewayHttpRouter()


def _guild(text: str) -> int:
    if text == "@me":
        return DM_SETTINGS_ID
    try:
        return parse_id(text)
    except ValueError:
        raise Invalid(
            "A guild id or @me.", code="invalid_id", errors={"guild_id": text[:32]}
        ) from None


def _changes(body: SettingsBody) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.message_notifications is not None:
        changes["level"] = Level(body.message_notifications)
    if body.muted is not None:
        changes["muted"] = body.muted
        changes["mute_end"] = end_of(body.mute_config)
    if body.suppress_everyone is not None:
        changes["suppress_everyone"] = body.suppress_everyone
    return changes


@router.get(
    "/users/@me/guilds/settings",
    responses=answers(list[GuildNotificationSettings], "The caller's changed settings."),
)
def list_settings() -> list[dict[str, Any]]:
    """The caller's notification settings of every guild (and of DMs: ``guild_id`` null) they
    changed; any other guild has the defaults."""
    return settings.all_of(caller_id(router))


@router.patch(
    "/users/@me/guilds/<guild_id>/settings",
    responses=answers(GuildNotificationSettings, "The settings as changed."),
)
def update_settings(guild_id: str, body: SettingsBody) -> dict[str, Any]:
    """Change one's notification settings of a guild (``@me``: of one's DMs)."""
    overrides = None
    if body.channel_overrides is not None:
        overrides = [
            ChannelOverride(
                o.channel_id, Level(o.message_notifications), o.muted, end_of(o.mute_config)
            )
            for o in body.channel_overrides
        ]
    return settings.update(caller_id(router), _guild(guild_id), _changes(body), overrides)
