"""Per-user budgets: one table of route groups, each a token bucket per user.

Every mutating REST route (POST, PUT, PATCH, DELETE) belongs to one group in :data:`ROUTES`, and
so do the reads a client calls as the user types (the member search);
the group's bucket is the caller's own, so one client spends only its own share. The middleware
:func:`per_user_limits` is installed once on every resolver (``shared.http.make_resolver``); a
route's own narrower limits (messages per channel, typing, attachments) still apply inside it.
The public auth routes have no user and are limited per IP and per account where they are
declared (:data:`LIMITED_ELSEWHERE`). The gateway's op 4 takes from the ``gateway.voice`` group.

Budgets follow Discord's where it publishes one and its habits otherwise (a burst, then a few
per second at most). ``PARLEY_RATE_LIMITS`` (JSON, group → ``"<capacity>/<seconds>"``) replaces
any of them for a deployment or a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from shared.config import get_settings
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit
from shared.limits.rest import caller_subject, rate_limited

__all__ = ["BUDGETS", "LIMITED_ELSEWHERE", "ROUTES", "group_limit", "per_user_limits"]

#: Each group's default budget, ``"<capacity>/<seconds>"``, per user.
BUDGETS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "guilds.create": "10/600",
        "guilds.edit": "10/60",
        "guilds.membership": "10/60",
        "channels.edit": "10/10",
        "roles.edit": "10/10",
        "emojis.edit": "10/60",
        "members.edit": "10/10",
        "members.search": "30/10",
        "invites.create": "10/60",
        "messages.send": "30/10",
        "messages.edit": "10/10",
        "messages.delete": "10/10",
        "messages.ack": "30/10",
        "reactions": "10/5",
        "pins": "10/10",
        "typing": "10/10",
        "attachments": "40/60",
        "dms.open": "10/600",
        "users.edit": "10/60",
        "users.settings": "10/10",
        "gateway.voice": "10/10",
    }
)

_C, _M = "/channels/<channel_id>", "/channels/<channel_id>/messages/<message_id>"
_G = "/guilds/<guild_id>"

#: Every mutating route and the member search, ``(method, path as the router declares it)`` →
#: its group.
ROUTES: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {
        ("POST", "/guilds"): "guilds.create",
        ("PATCH", _G): "guilds.edit",
        ("DELETE", _G): "guilds.edit",
        ("POST", "/invites/<code>"): "guilds.membership",
        ("DELETE", "/users/@me/guilds/<guild_id>"): "guilds.membership",
        ("POST", f"{_G}/channels"): "channels.edit",
        ("PATCH", f"{_G}/channels"): "channels.edit",
        ("PATCH", _C): "channels.edit",
        ("DELETE", _C): "channels.edit",
        ("PUT", f"{_C}/permissions/<target_id>"): "channels.edit",
        ("DELETE", f"{_C}/permissions/<target_id>"): "channels.edit",
        ("POST", f"{_G}/roles"): "roles.edit",
        ("PATCH", f"{_G}/roles/<role_id>"): "roles.edit",
        ("DELETE", f"{_G}/roles/<role_id>"): "roles.edit",
        ("POST", f"{_G}/emojis"): "emojis.edit",
        ("PATCH", f"{_G}/emojis/<emoji_id>"): "emojis.edit",
        ("DELETE", f"{_G}/emojis/<emoji_id>"): "emojis.edit",
        ("PATCH", f"{_G}/members/<user_id>"): "members.edit",
        ("DELETE", f"{_G}/members/<user_id>"): "members.edit",
        ("PUT", f"{_G}/members/<user_id>/roles/<role_id>"): "members.edit",
        ("DELETE", f"{_G}/members/<user_id>/roles/<role_id>"): "members.edit",
        ("GET", f"{_G}/members/search"): "members.search",
        ("PUT", f"{_G}/bans/<user_id>"): "members.edit",
        ("DELETE", f"{_G}/bans/<user_id>"): "members.edit",
        ("POST", f"{_C}/invites"): "invites.create",
        ("POST", f"{_C}/messages"): "messages.send",
        ("PATCH", _M): "messages.edit",
        ("DELETE", _M): "messages.delete",
        ("POST", f"{_M}/ack"): "messages.ack",
        ("PUT", f"{_M}/reactions/<emoji>/@me"): "reactions",
        ("DELETE", f"{_M}/reactions/<emoji>/@me"): "reactions",
        ("PUT", f"{_C}/pins/<message_id>"): "pins",
        ("DELETE", f"{_C}/pins/<message_id>"): "pins",
        ("POST", f"{_C}/typing"): "typing",
        ("POST", f"{_C}/attachments"): "attachments",
        ("POST", "/users/@me/channels"): "dms.open",
        ("PUT", f"{_C}/recipients/<user_id>"): "dms.open",
        ("DELETE", f"{_C}/recipients/<user_id>"): "dms.open",
        ("PATCH", "/users/@me"): "users.edit",
        ("PATCH", "/users/@me/password"): "users.edit",
        ("POST", "/auth/logout-all"): "users.edit",
        ("PATCH", "/users/@me/guilds/<guild_id>/settings"): "users.settings",
    }
)

#: Mutating routes that no user calls (they sign users in): limited per IP and per account
#: in their own module (``functions/auth/routes.py``).
LIMITED_ELSEWHERE: Final = frozenset(
    {
        ("POST", "/auth/register"),
        ("POST", "/auth/login"),
        ("POST", "/auth/refresh"),
        ("POST", "/auth/logout"),
    }
)


def group_limit(group: str) -> Limit:
    """The limit of one group: its budget, or the one ``PARLEY_RATE_LIMITS`` gives it."""
    default = BUDGETS[group]

    def rate() -> Rate:
        overrides = get_settings().rate_limits
        if unknown := overrides.keys() - BUDGETS.keys():
            raise ValueError(f"PARLEY_RATE_LIMITS names no such group: {sorted(unknown)}")
        return Rate.parse(overrides.get(group, default))

    return Limit(f"user.{group}", rate)


def per_user_limits(app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """The middleware of every resolver: the caller's bucket of the matched route's group."""
    route = app.context.get("_route")
    group = ROUTES.get((route.method, route.path)) if route is not None else None
    if group is None or caller_subject(app) is None:
        # Reads are not budgeted; a route without a verified caller refuses on its own (401).
        return next_middleware(app)
    return rate_limited((group_limit(group), caller_subject))(app, next_middleware)
