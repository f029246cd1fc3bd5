"""Two Debian Chromiums join a voice channel through the whole local stack, as a client does.

Each logs in over the HTTP API, identifies on the gateway, sends op 4 and joins the media node
that ``VOICE_SERVER_UPDATE`` names (``parley dev``'s own node) with the token it carries. They hear
each other (getStats), see each other speaking through the gateway (``VOICE_STATE_UPDATE``
``speaking``, which the node reports through the store), and when the owner server-mutes one of
them through REST (``PATCH /guilds/{id}/members/{user}``), the other stops receiving them.
``test_voice_chromium.py`` keeps the node-only version with minted tokens.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.test_voice_chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEADLINE_S,
    PAGE,
    eventually,
    inbound,
    received_from,
)
from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # register_user's


@pytest.fixture(scope="module")
def voice_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """`parley dev` with its media node (on a free port); Chromium's beep counts as speech."""
    workdir = tmp_path_factory.mktemp("voice-e2e")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload"],
        env={
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
            "PARLEY_MEDIA_SPEAKING_THRESHOLD": "60",
        },
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=False, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


def call(stack: StackProcess, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{stack.info['http_url']}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


async def open_client(
    browser: Browser, stack: StackProcess, username: str, guild_id: str, channel_id: str
) -> Page:
    """A page on the stack's own origin (served by page.route) that joins by the gateway."""
    page_url = f"{stack.info['http_url']}/e2e-voice.html"
    context = await browser.new_context()
    page = await context.new_page()
    await page.route(page_url, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
    await page.goto(page_url)
    await page.evaluate(
        "([ws, login, password, guild, channel]) => "
        "window.joinByGateway(ws, login, password, guild, channel)",
        [stack.info["ws_url"], username, PASSWORD, guild_id, channel_id],
    )
    return page


async def test_two_chromiums_join_by_the_gateway_hear_each_other_see_speaking_and_obey_mute(
    voice_stack: StackProcess, browser: Browser
) -> None:
    alice, bob = register_user(voice_stack), register_user(voice_stack)
    owner = alice["access_token"]
    guild = call(voice_stack, owner, "POST", "/guilds", {"name": "voice e2e"})
    text = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 2)
    invite = call(voice_stack, owner, "POST", f"/channels/{text}/invites", {})
    call(voice_stack, bob["access_token"], "POST", f"/invites/{invite['code']}")
    a_id, b_id = alice["user"]["id"], bob["user"]["id"]

    a = await open_client(browser, voice_stack, alice["user"]["username"], guild["id"], channel)
    b = await open_client(browser, voice_stack, bob["user"]["username"], guild["id"], channel)

    # They hear each other: packets received grow, loss under 1 %.
    for page, other in ((a, b_id), (b, a_id)):
        await eventually(
            page,
            lambda p=page, o=other: _received_at_least(p, o, 100),
            DEADLINE_S,
            f"audio from {other}",
        )
        stats = (await inbound(page))[other]
        assert stats["lost"] <= 0.01 * (stats["received"] + stats["lost"])

    # Each sees the other in the channel and speaking, through the gateway.
    for page, other in ((a, b_id), (b, a_id)):
        await eventually(
            page,
            lambda p=page, o=other: p.evaluate(
                f"() => window.gateway.states['{o}']?.channel_id === '{channel}'"
            ),
            DEADLINE_S,
            f"{other}'s voice state",
        )
        await eventually(
            page,
            lambda p=page, o=other: p.evaluate(
                f"() => window.gateway.states['{o}']?.speaking === true"
            ),
            DEADLINE_S,
            f"{other} speaking (VOICE_STATE_UPDATE)",
        )

    # The owner server-mutes bob through REST: alice stops receiving him; bob still hears her.
    call(voice_stack, owner, "PATCH", f"/guilds/{guild['id']}/members/{b_id}", {"mute": True})
    await eventually(
        a,
        lambda: a.evaluate(f"() => window.gateway.states['{b_id}']?.mute === true"),
        DEADLINE_S,
        "bob's server mute (VOICE_STATE_UPDATE)",
    )
    await asyncio.sleep(0.5)  # packets already on the wire land
    frozen = await received_from(a, b_id)
    bob_before = await received_from(b, a_id)
    await asyncio.sleep(1.5)
    assert await received_from(a, b_id) == frozen
    assert await received_from(b, a_id) > bob_before + 25
    assert await a.evaluate("() => window.voice.errors") == []
    assert await a.evaluate("() => window.gateway.grants") == 1


async def _received_at_least(page: Page, user: str, count: int) -> bool:
    return await received_from(page, user) >= count
