"""Link previews and images on the REAL local stack, in Debian's Chromium, two people.

The stack is started with the unfurler's allow-list naming loopback (the local stack's and
tests' setting; without it loopback is refused: tests/functional/test_unfurl_fetcher.py), and a
web server on loopback serves a page with Open Graph tags. Alice types a link to it at human
speed; Bob sees the message, then its preview appear live (the embeds-only MESSAGE_UPDATE):
title as a link, description, site name, thumbnail. A screenshot of Bob's message goes to
docs/img/link-preview.png. Then Alice pastes an image (a real paste event with a DataTransfer
holding a PNG file), removes it, drops one on the message pane (a real drop event), sees its
preview, sends it with a caption; Bob sees the image and opens it in the viewer.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.signed_in import in_general
from tests.e2e.test_full_stack import PASSWORD, Person
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import REPO_ROOT, StackProcess
from tests.pages_server import PNG, PagesServer

GUILD = "Preview Club"
#: People type about 11 characters a second.
KEY_DELAY_MS = 90
SCREENSHOT = REPO_ROOT / "docs" / "img" / "link-preview.png"

#: Builds a DataTransfer holding one PNG file, in the page.
_FILE_JS = """([b64, name]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: "image/png" }));
  return data;
}"""


@pytest.fixture(scope="module")
def pages() -> Iterator[PagesServer]:
    with PagesServer() as server:
        yield server


@pytest.fixture(scope="module")
def preview_stack(
    tmp_path_factory: pytest.TempPathFactory, ui_dist: Path
) -> Iterator[StackProcess]:
    """The real template served by `parley dev`, the built UI at `/`, and the unfurler allowed
    to fetch from loopback."""
    stack = StackProcess(
        tmp_path_factory.mktemp("previews"),
        extra_args=["--no-reload", "--no-warm"],
        env={"PARLEY_UNFURL_ALLOW_NETWORKS": '["127.0.0.1/32"]'},
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def setting(preview_stack: StackProcess) -> dict[str, Any]:
    alice, bob = (register_user(preview_stack, n, PASSWORD) for n in ("alice_lp", "bob_lp"))
    owner = alice["access_token"]
    guild = call(preview_stack, owner, "POST", "/guilds", {"name": GUILD})
    general = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = call(preview_stack, owner, "POST", f"/channels/{general}/invites", {})
    call(preview_stack, bob["access_token"], "POST", f"/invites/{invite['code']}")
    return {"alice": alice, "bob": bob, "general": general}


@pytest.fixture(scope="module")
def people(
    preview_stack: StackProcess, chromium: Any, setting: dict[str, Any], artifacts: Path
) -> Iterator[tuple[Person, Person]]:
    http_url = preview_stack.info["http_url"]
    names = ("alice_lp", "bob_lp")
    with in_general(chromium, http_url, names, GUILD, artifacts, "previews") as (alice, bob):
        yield alice, bob


def type_and_send(person: Person, text: str) -> None:
    composer = person.page.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially(text, delay=KEY_DELAY_MS)
    composer.press("Enter")


def test_a_link_posted_by_one_shows_its_preview_live_to_the_other(
    preview_stack: StackProcess,
    people: tuple[Person, Person],
    setting: dict[str, Any],
    pages: PagesServer,
) -> None:
    alice, bob = people
    link = f"{pages.base}/og"
    text = f"have a look: {link}"
    type_and_send(alice, text)

    message = bob.message("have a look")
    message.wait_for()
    embed = message.get_by_test_id("embed")
    embed.wait_for()  # arrives after the message, with MESSAGE_UPDATE
    title = embed.get_by_test_id("embed-title")
    assert title.inner_text() == "A page worth sharing"
    assert title.locator("a").get_attribute("href") == link
    assert embed.get_by_test_id("embed-description").inner_text() == (
        "What the page says about itself."
    )
    assert embed.get_by_test_id("embed-provider").inner_text() == "Pages Test"
    thumbnail = embed.locator("img")
    assert thumbnail.get_attribute("src") == f"{pages.base}/image.png"
    bob.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert pages.hits["/og"] == 1

    bob.page.mouse.move(1, 1)
    bob.page.get_by_role("toolbar", name="Message actions").wait_for(state="detached")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    message.screenshot(path=str(SCREENSHOT))

    # What Alice typed is what the server stored, key for key, and it was not marked edited.
    token = setting["alice"]["access_token"]
    stored = call(preview_stack, token, "GET", f"/channels/{setting['general']}/messages")
    (sent,) = [m for m in stored if m["content"] == text]
    assert sent["edited_timestamp"] is None
    assert [e["title"] for e in sent["embeds"]] == ["A page worth sharing"]


def test_an_image_pasted_or_dropped_is_previewed_sent_and_opened_in_the_viewer(
    preview_stack: StackProcess, people: tuple[Person, Person], setting: dict[str, Any]
) -> None:
    alice, bob = people
    png = base64.b64encode(PNG).decode()
    composer = alice.page.get_by_test_id("composer")

    pasted = alice.page.evaluate_handle(_FILE_JS, [png, "pasted.png"])
    composer.evaluate(
        """(el, data) => el.dispatchEvent(new ClipboardEvent(
             "paste", { clipboardData: data, bubbles: true, cancelable: true }))""",
        pasted,
    )
    pending = alice.page.get_by_test_id("pending-upload")
    pending.filter(has_text="pasted.png").get_by_test_id("upload-preview").wait_for()
    alice.page.get_by_role("button", name="Remove pasted.png").click()
    pending.wait_for(state="detached")

    dropped = alice.page.evaluate_handle(_FILE_JS, [png, "dropped.png"])
    pane = alice.page.get_by_test_id("message-list")
    pane.dispatch_event("dragover", {"dataTransfer": dropped})
    alice.page.get_by_test_id("drop-overlay").wait_for()
    pane.dispatch_event("drop", {"dataTransfer": dropped})
    preview = pending.filter(has_text="dropped.png").get_by_test_id("upload-preview")
    preview.wait_for()
    alice.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 96", arg=preview.element_handle()
    )
    type_and_send(alice, "a gradient for you")

    message = bob.message("a gradient for you")
    message.wait_for()
    image = message.get_by_role("button", name="View dropped.png")
    image.wait_for()
    image.click()
    viewer = bob.page.get_by_test_id("image-viewer")
    viewer.wait_for()
    full = viewer.locator("img")
    bob.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 96", arg=full.element_handle()
    )
    original = viewer.get_by_role("link", name="Open original")
    assert original.get_attribute("href") == full.get_attribute("src")
    bob.page.keyboard.press("Escape")
    viewer.wait_for(state="detached")

    token = setting["alice"]["access_token"]
    stored = call(preview_stack, token, "GET", f"/channels/{setting['general']}/messages")
    (sent,) = [m for m in stored if m["content"] == "a gradient for you"]
    assert [(a["filename"], a["size"]) for a in sent["attachments"]] == [("dropped.png", len(PNG))]
