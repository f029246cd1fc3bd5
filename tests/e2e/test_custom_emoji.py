"""Custom emoji on the REAL local stack, two people each in their own Debian Chromium.

Alice (the owner) uploads an emoji in server settings; Bob sees it in his picker without a
reload, sends it in a message (typed at human speed around it) and reacts with it; Alice sees
both, as images. Alice deletes it: the old message stays readable, by name. The screenshot
`docs/img/custom-emoji.png` is Alice's view of the message and its reaction.

Setup goes through the public API (register, guild, invite); what is under test goes through
the page. Every wait is on a condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.test_full_stack import Person
from tests.e2e.test_message_list import DOCS_IMG, call, register_api, signed_in
from tests.images import png
from tests.integration.stackproc import StackProcess

#: Every custom emoji image in the element has loaded (decoded, with a size).
EMOJI_IMAGES_LOADED = """(element) => {
  const images = [...element.querySelectorAll('img.custom-emoji')];
  return images.length > 0 && images.every((i) => i.complete && i.naturalHeight > 0);
}"""


@dataclass
class Club:
    http_url: str
    guild_id: str
    channel_id: str
    alice: Person
    bob: Person
    alice_token: str

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return call(self.http_url, self.alice_token, method, path, body)


@pytest.fixture(scope="module")
def club(ui_stack: StackProcess, chromium: Any, artifacts: Path) -> Iterator[Club]:
    http_url = ui_stack.info["http_url"]
    alice_auth = register_api(http_url, "alice_emoji")
    bob_auth = register_api(http_url, "bob_emoji")
    alice_token = alice_auth["access_token"]
    guild = call(http_url, alice_token, "POST", "/guilds", {"name": "Emoji Club"})
    general = next(c for c in guild["channels"] if c["type"] == 0)
    invite = call(http_url, alice_token, "POST", f"/channels/{general['id']}/invites", {})
    call(http_url, bob_auth["access_token"], "POST", f"/invites/{quote(invite['code'])}")
    alice = signed_in(chromium, http_url, "alice_emoji")
    bob = signed_in(chromium, http_url, "bob_emoji")
    try:
        yield Club(http_url, guild["id"], general["id"], alice, bob, alice_token)
    finally:
        shots = artifacts / "e2e"
        shots.mkdir(exist_ok=True)
        for person in (alice, bob):
            person.page.screenshot(path=str(shots / f"emoji-last-{person.name}.png"))
            (shots / f"emoji-last-{person.name}.log").write_text("\n".join(person.log))
            person.context.close()


def emoji_settings(person: Person) -> Any:
    """Server settings open at the Emoji tab; the dialog."""
    person.page.get_by_role("button", name="Server settings").click()
    dialog = person.page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Emoji").click()
    return dialog


def test_an_uploaded_emoji_is_sent_and_reacted_with_and_outlives_its_deletion(
    club: Club, chromium: Any
) -> None:
    alice, bob = club.alice, club.bob

    # Alice uploads a picture as :party_parrot: (the name comes from the file's).
    dialog = emoji_settings(alice)
    dialog.get_by_test_id("emoji-count").filter(has_text="0 of 50").wait_for()
    dialog.locator('input[type=file][aria-label="Emoji image"]').set_input_files(
        files=[{"name": "party-parrot.png", "mimeType": "image/png", "buffer": png(64, 64)}]
    )
    dialog.get_by_test_id("emoji-preview").wait_for()
    assert dialog.get_by_label("Emoji name").input_value() == "party_parrot"
    dialog.get_by_role("button", name="Upload", exact=True).click()
    dialog.get_by_test_id("emoji-count").filter(has_text="1 of 50").wait_for()
    row = dialog.get_by_test_id("guild-emoji")
    row.wait_for()
    emoji_id = row.get_attribute("data-emoji-id")
    assert emoji_id
    alice.page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    # Bob, without a reload, finds it first in his picker and puts it in a message.
    composer = bob.page.get_by_test_id("composer")
    composer.press_sequentially("look ", delay=80)
    bob.page.get_by_role("button", name="Emoji", exact=True).click()
    picker = bob.page.get_by_test_id("emoji-picker")
    server = picker.get_by_role("region", name="Emoji Club")
    server.get_by_role("button", name="party_parrot", exact=True).click()
    picker.wait_for(state="detached")
    assert composer.input_value() == f"look <:party_parrot:{emoji_id}>"
    composer.press_sequentially(" a parrot", delay=80)
    composer.press("Enter")
    sent = f"look <:party_parrot:{emoji_id}> a parrot"

    # Alice sees the picture in the message.
    seen = alice.shown("a parrot")
    seen.wait_for()
    image = seen.locator("img.custom-emoji")
    assert image.get_attribute("alt") == ":party_parrot:"
    alice.page.wait_for_function(EMOJI_IMAGES_LOADED, arg=seen.element_handle())
    stored = club.api("GET", f"/channels/{club.channel_id}/messages?limit=5")
    assert [m["content"] for m in stored] == [sent]

    # Bob reacts with it from the reaction picker; Alice sees the reaction, as the picture.
    target = bob.message("a parrot")
    target.hover()
    target.get_by_role("button", name="Add reaction").click()
    reactions = bob.page.get_by_test_id("reaction-picker")
    reactions.get_by_role("region", name="Emoji Club").get_by_role(
        "button", name="party_parrot", exact=True
    ).click()
    reactions.wait_for(state="detached")
    chip = alice.message("a parrot").get_by_test_id("reaction").filter(has_text="1")
    chip.locator("img.custom-emoji").wait_for()
    alice.page.wait_for_function(EMOJI_IMAGES_LOADED, arg=chip.element_handle())
    stored = club.api("GET", f"/channels/{club.channel_id}/messages?limit=5")
    assert stored[0]["reactions"] == [
        {"emoji": {"id": emoji_id, "name": "party_parrot"}, "count": 1, "me": False}
    ]
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    alice.message("a parrot").screenshot(path=str(DOCS_IMG / "custom-emoji.png"))

    # Alice deletes it: gone from Bob's picker at once, and the old message stays readable.
    dialog = emoji_settings(alice)
    dialog.get_by_role("button", name="Delete :party_parrot:").click()
    dialog.get_by_test_id("emoji-count").filter(has_text="0 of 50").wait_for()
    alice.page.keyboard.press("Escape")
    bob.page.get_by_role("button", name="Emoji", exact=True).click()
    picker = bob.page.get_by_test_id("emoji-picker")
    picker.get_by_role("region", name="Smileys & people").wait_for()
    assert picker.get_by_role("region", name="Emoji Club").count() == 0
    bob.page.keyboard.press("Escape")
    # A browser with no copy of the image (a new one): the message names the emoji instead.
    fresh = signed_in(chromium, club.http_url, "alice_emoji")
    try:
        fresh.shown(":party_parrot: a parrot").wait_for()
        old = fresh.message("a parrot")
        old.get_by_test_id("reaction").filter(has_text=":party_parrot:").wait_for()
        assert old.locator("img.custom-emoji").count() == 0
    finally:
        fresh.context.close()
