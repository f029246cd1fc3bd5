"""Two headless Debian Chromium peers with fake microphones in one room of a media node.

Against the node directly, with minted voice tokens (the gateway's allocation comes later): they
hear each other (getStats: packets received growing, loss under 1 %), see each other's speaking
state from the RFC 6464 level Chromium puts on its packets, and stop receiving a server-muted
member. Chromium is Debian's (`apt-get install chromium`, see the Makefile); Playwright only
drives it (never `playwright install`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.media_support import CHANNEL, NodeUnderTest, running_node

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
PAGE_URL = "http://127.0.0.1:9/voice.html"  # served by page.route, never by a socket
PAGE = (Path(__file__).parent / "voice_page.html").read_text()
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    # mDNS candidates resolve slowly in aiortc (FINDINGS.md); the local-network-access checks of
    # recent Chromium would refuse the page's WebSocket to the node on loopback.
    "--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks",
    # Gather a 127.0.0.1 candidate too: the page offers only that one, so media stays on loopback.
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture
async def media() -> AsyncIterator[NodeUnderTest]:
    async with running_node(speaking_threshold=60) as under_test:
        yield under_test


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=False, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


async def open_peer(browser: Browser, media: NodeUnderTest, user: str) -> Page:
    context = await browser.new_context()
    page = await context.new_page()
    await page.route(PAGE_URL, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
    await page.goto(PAGE_URL)
    await page.evaluate(
        "([endpoint, token]) => window.joinVoice(endpoint, token)",
        [media.node.endpoint, media.token(user)],
    )
    return page


async def inbound(page: Page) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = await page.evaluate("() => window.inbound()")
    return result


#: How long a condition may take: two Chromiums and ICE share two cores with the test suite.
DEADLINE_S = 60.0


#: What a timed-out wait reports: the page's signalling and connection state, and its inbound.
DIAGNOSIS = """async () => ({
  errors: window.voice.errors,
  signalling: window.voice.messages.filter((op) => op !== "speaking"),
  tracks: window.voice.tracks,
  connection: window.voice.pc.connectionState,
  transceivers: window.voice.pc.getTransceivers().map((t) => [t.mid, t.currentDirection]),
  inbound: await window.inbound(),
})"""


async def eventually(page: Page, check: Any, within_s: float, what: str) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            state = await page.evaluate(DIAGNOSIS)
            raise AssertionError(f"timed out after {within_s:g} s waiting for {what}: {state}")
        await page.wait_for_timeout(100)


async def received_from(page: Page, user: str) -> int:
    stats = await inbound(page)
    return int(stats.get(user, {}).get("received", 0))


async def test_two_chromium_peers_hear_each_other_see_speaking_and_obey_server_mute(media, browser):
    alice = await open_peer(browser, media, "2001")
    bob = await open_peer(browser, media, "2002")

    # They hear each other: packets received grow, loss under 1 %.
    for page, other in ((alice, "2002"), (bob, "2001")):
        await eventually(
            page,
            lambda p=page, o=other: _received_at_least(p, o, 100),
            DEADLINE_S,
            f"audio from {other}",
        )
        stats = (await inbound(page))[other]
        assert stats["lost"] <= 0.01 * (stats["received"] + stats["lost"])

    # Chromium's fake microphone beeps: the audio level marks it as speech.
    for page, other in ((alice, "2002"), (bob, "2001")):
        await eventually(
            page,
            lambda p=page, o=other: p.evaluate(f"() => window.voice.speaking['{o}'] === true"),
            DEADLINE_S,
            f"{other} speaking",
        )

    # Server mute bob: alice stops receiving him; bob still hears alice.
    assert await media.control("PATCH", CHANNEL, "2002", {"server_mute": True}) == 200
    await asyncio.sleep(0.5)  # packets already on the wire land
    frozen = await received_from(alice, "2002")
    bob_before = await received_from(bob, "2001")
    await asyncio.sleep(1.5)
    assert await received_from(alice, "2002") == frozen
    assert await received_from(bob, "2001") > bob_before + 25
    assert await alice.evaluate("() => window.voice.errors") == []


async def _received_at_least(page: Page, user: str, count: int) -> bool:
    return await received_from(page, user) >= count
