"""REST helpers for integration tests: a user, their guild, invites, messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess


@dataclass
class User:
    stack: StackProcess
    http: aiohttp.ClientSession
    token: str
    id: str
    username: str

    @classmethod
    def register(cls, stack: StackProcess, http: aiohttp.ClientSession) -> User:
        answer = register_user(stack)
        return cls(
            stack, http, answer["access_token"], answer["user"]["id"], answer["user"]["username"]
        )

    async def call(
        self, method: str, path: str, body: Any = None, expect: int | None = None
    ) -> Any:
        async with self.http.request(
            method,
            f"{self.stack.info['http_url']}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            text = await response.text()
            if expect is not None:
                assert response.status == expect, f"{method} {path}: {response.status} {text}"
            return (
                await response.json() if text and response.content_type.endswith("json") else None
            )


async def guild_with(owner: User, *members: User) -> dict[str, Any]:
    """A guild of ``owner``'s that ``members`` joined by invite; the guild object."""
    guild = await owner.call("POST", "/guilds", {"name": "the guild"}, expect=201)
    general = next(c for c in guild["channels"] if c["type"] == 0)
    invite = await owner.call("POST", f"/channels/{general['id']}/invites", {}, expect=201)
    for member in members:
        await member.call("POST", f"/invites/{invite['code']}", expect=200)
    return guild
