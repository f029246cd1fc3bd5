"""A Chromium with a user's profile joins voice on the local stack (`parley dev`).

No ``--allow-loopback-in-peer-connection``, local addresses hidden behind mDNS names as
Chromium does by default (the local-network-access prompt is the one thing taken as answered),
and the page offers every candidate it gathered: what a user's browser does with the desktop
client's page. Chromium never gathers nor pairs with a loopback candidate then, so the local
node must offer an address of the machine's own interfaces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.test_voice_chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEADLINE_S,
    PAGE,
    eventually,
    received_from,
)
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # register_user's

#: A user's Chromium, headless: the fake microphone stands for one the profile pre-approved. The
#: other tests' flags less the loopback candidate and the unhidden local addresses; the
#: local-network-access prompt (a page on 127.0.0.1 opening the gateway's and the node's sockets)
#: stands answered, as headless has no prompt to answer.
STOCK_ARGS = [
    *(a for a in CHROMIUM_ARGS if not a.startswith(("--allow-loopback", "--disable-features"))),
    "--disable-features=LocalNetworkAccessChecks",
]


@pytest.fixture(scope="module")
def voice_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("voice-stock")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload"],
        env={"PARLEY_BCRYPT_COST": "4", "PARLEY_DATA_DIR": str(workdir / "data")},
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=False, args=STOCK_ARGS
        )
        yield browser
        await browser.close()


async def test_a_stock_chromium_profile_connects_to_the_local_node_and_both_hear(
    voice_stack: StackProcess, browser: Browser
) -> None:
    alice, bob = register_user(voice_stack), register_user(voice_stack)
    owner = alice["access_token"]
    guild = call(voice_stack, owner, "POST", "/guilds", {"name": "stock voice"})
    text = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 2)
    invite = call(voice_stack, owner, "POST", f"/channels/{text}/invites", {})
    call(voice_stack, bob["access_token"], "POST", f"/invites/{invite['code']}")
    pages: dict[str, Page] = {}
    page_url = f"{voice_stack.info['http_url']}/e2e-voice.html"
    for user in (alice, bob):
        page = await (await browser.new_context()).new_page()
        await page.route(page_url, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
        await page.goto(page_url)
        await page.evaluate("() => { window.voice.stock = true; }")
        await page.evaluate(
            "([ws, login, password, guild, channel]) => "
            "window.joinByGateway(ws, login, password, guild, channel)",
            [voice_stack.info["ws_url"], user["user"]["username"], PASSWORD, guild["id"], channel],
        )
        pages[user["user"]["id"]] = page
    a_id, b_id = alice["user"]["id"], bob["user"]["id"]
    for listener, speaker in ((a_id, b_id), (b_id, a_id)):
        page = pages[listener]
        await eventually(
            page,
            lambda p=page, s=speaker: _at_least(p, s, 50),
            DEADLINE_S,
            f"{speaker}'s audio at {listener}",
        )
        offered = await page.evaluate("() => window.voice.pc.localDescription.sdp")
        assert " 127.0.0.1 " not in offered  # a stock profile: no loopback candidate
        state = await page.evaluate("() => window.voice.pc.iceConnectionState")
        assert state in ("connected", "completed")


async def _at_least(page: Page, user: str, count: int) -> bool:
    return await received_from(page, user) >= count
