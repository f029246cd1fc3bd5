"""Per-user budgets on every mutating route: the n-th request of a group passes, the n+1-th is a
429 with the CONTRACT headers, and another user's bucket is untouched."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from shared.config import get_settings
from shared.limits.per_user import BUDGETS, LIMITED_ELSEWHERE, ROUTES, per_user_limits
from tests.conftest import REPO_ROOT
from tests.functional.apigw import Reply, request
from tests.functional.guildkit import create_guild, new_user, text_channel

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def resolvers() -> list[Any]:
    """The resolver of every REST function (``app`` in its entry module)."""
    found = []
    for app_file in sorted((REPO_ROOT / "functions").glob("*/app.py")):
        module = importlib.import_module(f"functions.{app_file.parent.name}.app")
        if isinstance(resolver := getattr(module, "app", None), APIGatewayHttpResolver):
            found.append(resolver)
    return found


def declared_routes() -> set[tuple[str, str]]:
    """Every (method, path) the REST functions' resolvers declare."""
    return {
        (route.method, route.path)
        for resolver in resolvers()
        for route in resolver._static_routes + resolver._dynamic_routes
    }


def test_every_resolver_applies_the_budgets() -> None:
    assert len(resolvers()) >= 8
    for resolver in resolvers():
        assert per_user_limits in resolver._router_middlewares


def test_every_mutating_route_has_a_budget() -> None:
    routes = declared_routes()
    mutating = {r for r in routes if r[0] in MUTATING}
    assert len(mutating) > 30  # the walk found the resolvers
    unbudgeted = mutating - ROUTES.keys() - LIMITED_ELSEWHERE
    assert not unbudgeted, f"mutating routes without a per-user budget: {sorted(unbudgeted)}"
    stale = (ROUTES.keys() | LIMITED_ELSEWHERE) - routes
    assert not stale, f"the table names routes nobody serves: {sorted(stale)}"
    assert set(ROUTES.values()) <= BUDGETS.keys()


@dataclass(frozen=True)
class Case:
    group: str
    #: Sets up what the requests act on; returns the request to repeat for one user.
    prepare: Callable[[int], Callable[[], Reply]]


def _guilds(user: int) -> Callable[[], Reply]:
    return lambda: request("POST", "/guilds", user=user, body={"name": "Budgeted"})


def _reactions(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    channel = text_channel(guild)
    sent = request("POST", f"/channels/{channel}/messages", user=user, body={"content": "hi"})
    path = f"/channels/{channel}/messages/{sent.body['id']}/reactions/%F0%9F%91%8D/@me"
    toggles = iter(["PUT", "DELETE"] * 20)
    return lambda: request(next(toggles), path, user=user)


def _edits(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    channel = text_channel(guild)
    sent = request("POST", f"/channels/{channel}/messages", user=user, body={"content": "hi"})
    path = f"/channels/{channel}/messages/{sent.body['id']}"
    return lambda: request("PATCH", path, user=user, body={"content": "edited"})


def _channels(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    path = f"/guilds/{guild['id']}/channels"
    return lambda: request("POST", path, user=user, body={"name": "more", "type": 0})


def _invites(user: int) -> Callable[[], Reply]:
    channel = text_channel(create_guild(user))
    return lambda: request("POST", f"/channels/{channel}/invites", user=user, body={})


def _roles(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    path = f"/guilds/{guild['id']}/roles"
    return lambda: request("POST", path, user=user, body={"name": "r"})


def _emojis(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    path = f"/guilds/{guild['id']}/emojis/{new_user()}"  # no such emoji: 404, budget spent
    return lambda: request("PATCH", path, user=user, body={"name": "renamed"})


def _kicks(user: int) -> Callable[[], Reply]:
    guild = create_guild(user)
    path = f"/guilds/{guild['id']}/members/{new_user()}"
    return lambda: request("DELETE", path, user=user)


def _notification_settings(user: int) -> Callable[[], Reply]:
    path = f"/users/@me/guilds/{create_guild(user)['id']}/settings"
    return lambda: request("PATCH", path, user=user, body={"message_notifications": 0})


def _searches(user: int) -> Callable[[], Reply]:
    path = f"/guilds/{create_guild(user)['id']}/members/search"
    return lambda: request("GET", path, user=user, query={"query": "a"})


CASES = [
    Case("guilds.create", _guilds),
    Case("reactions", _reactions),
    Case("messages.edit", _edits),
    Case("channels.edit", _channels),
    Case("invites.create", _invites),
    Case("roles.edit", _roles),
    Case("emojis.edit", _emojis),
    Case("members.edit", _kicks),
    Case("users.settings", _notification_settings),
    Case("members.search", _searches),
]


@pytest.mark.parametrize("case", CASES, ids=[c.group for c in CASES])
def test_the_budget_edge(table: str, case: Case, slow_refill: Callable[[str], int]) -> None:
    user, other = new_user(), new_user()
    again = case.prepare(user)
    capacity = slow_refill(case.group)
    for n in range(capacity):
        reply = again()
        assert reply.status < 429, (n, reply)
        assert reply.headers["x-ratelimit-bucket"] == f"user.{case.group}"
    refused = again()
    assert refused.status == 429, refused
    assert refused.body["code"] == "rate_limited"
    assert refused.headers["x-ratelimit-limit"] == str(capacity)
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-bucket"] == f"user.{case.group}"
    assert int(refused.headers["retry-after"]) >= 1
    assert float(refused.headers["x-ratelimit-reset-after"]) > 0
    # Another user's bucket is their own.
    assert case.prepare(other)().status < 429


def test_a_route_s_own_limit_still_applies_inside_the_user_budget(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sending keeps its per-channel limit (5, refilled here over an hour so that the edge
    stays put on a slow machine) under the larger per-user one."""
    monkeypatch.setenv("PARLEY_RATE_MESSAGES_PER_CHANNEL", "5/3600")
    get_settings.cache_clear()
    user = new_user()
    channel = text_channel(create_guild(user))
    replies = [
        request("POST", f"/channels/{channel}/messages", user=user, body={"content": str(n)})
        for n in range(6)
    ]
    assert [r.status for r in replies] == [201] * 5 + [429]
    assert replies[-1].headers["x-ratelimit-bucket"] == "messages-per-channel"
    assert replies[0].headers["x-ratelimit-bucket"] == "messages-per-channel"  # the tighter
    get_settings.cache_clear()


def test_reads_are_not_budgeted(table: str) -> None:
    user = new_user()
    guild = create_guild(user)
    for _ in range(40):
        assert request("GET", f"/guilds/{guild['id']}", user=user).status == 200
