"""The message list on the REAL local stack, two people each in their own Debian Chromium: where
the view is when a channel with images opens and while images and reactions arrive, and the emoji
picker (reactions, the composer's emoji button, `:shortcode:` completion).

Setup goes through the public API (register, guild, invite, a channel per test); what is under
test goes through the page. Every wait is on a condition.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.e2e.test_full_stack import PASSWORD, Person, gateway_session, open_person
from tests.integration.stackproc import REPO_ROOT, StackProcess

DOCS_IMG = REPO_ROOT / "docs" / "img"

#: True when the newest message is wholly inside the list's viewport and the list is scrolled to
#: its end (so the message is above the composer, which sits below the list).
AT_NEWEST = """() => {
  const list = document.querySelector('[data-testid="message-list"]');
  const all = list ? list.querySelectorAll('[data-testid="message"]') : [];
  if (!all.length) return false;
  const last = all[all.length - 1].getBoundingClientRect();
  const view = list.getBoundingClientRect();
  const composer = document.querySelector('[data-testid="composer"]').getBoundingClientRect();
  return last.top >= view.top && last.bottom <= view.bottom + 1 && last.bottom <= composer.top
    && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
}"""

#: Every image in the list has loaded.
IMAGES_LOADED = """(count) => {
  const images = [...document.querySelectorAll('[data-testid="message-list"] img')];
  return images.length >= count && images.every((i) => i.complete && i.naturalHeight > 0);
}"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def call(http_url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """A REST call of the stack's public API; its JSON answer (None when empty)."""
    reply = requests.request(
        method,
        f"{http_url}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply.json() if reply.content else None


@dataclass
class Club:
    http_url: str
    guild_id: str
    alice: Person
    bob: Person
    alice_token: str

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A REST call as Alice."""
        return call(self.http_url, self.alice_token, method, path, body)

    def channel(self, name: str) -> str:
        """A new text channel, open in both pages."""
        channel = self.api("POST", f"/guilds/{self.guild_id}/channels", {"name": name, "type": 0})
        for person in (self.alice, self.bob):
            person.page.get_by_test_id(f"channel-{name}").click()
            person.page.get_by_test_id("channel-title").filter(has_text=name).wait_for()
        return str(channel["id"])


def register_api(http_url: str, name: str) -> dict[str, Any]:
    reply = requests.post(
        f"{http_url}/api/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


def signed_in(chromium: Any, http_url: str, name: str) -> Person:
    person = open_person(chromium, http_url, name)
    person.page.get_by_test_id("login-name").fill(name)
    person.page.get_by_test_id("login-password").fill(PASSWORD)
    person.page.get_by_role("button", name="Sign in", exact=True).click()
    gateway_session(person)
    return person


@pytest.fixture(scope="module")
def club(ui_stack: StackProcess, chromium: Any, artifacts: Path) -> Iterator[Club]:
    http_url = ui_stack.info["http_url"]
    alice_auth = register_api(http_url, "alice_list")
    bob_auth = register_api(http_url, "bob_list")

    alice_token = alice_auth["access_token"]
    guild = call(http_url, alice_token, "POST", "/guilds", {"name": "List Club"})
    general = next(c for c in guild["channels"] if c["type"] == 0)
    invite = call(http_url, alice_token, "POST", f"/channels/{general['id']}/invites", {})
    call(http_url, bob_auth["access_token"], "POST", f"/invites/{quote(invite['code'])}")
    alice = signed_in(chromium, http_url, "alice_list")
    bob = signed_in(chromium, http_url, "bob_list")
    try:
        yield Club(http_url, guild["id"], alice, bob, alice_token)
    finally:
        shots = artifacts / "e2e"
        shots.mkdir(exist_ok=True)
        for person in (alice, bob):
            person.page.screenshot(path=str(shots / f"list-last-{person.name}.png"))
            (shots / f"list-last-{person.name}.log").write_text("\n".join(person.log))
            person.context.close()


def send_image(person: Person, text: str, size: tuple[int, int], rgb: tuple[int, int, int]) -> None:
    page = person.page
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": f"{text}.png", "mimeType": "image/png", "buffer": png(*size, rgb)}]
    )
    page.get_by_test_id("pending-upload").wait_for()
    composer = page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")
    person.message(text).get_by_role("img").wait_for()


def test_a_channel_with_images_opens_at_its_newest_message_and_stays_there(club: Club) -> None:
    alice, bob = club.alice, club.bob
    pictures = club.channel("pictures")
    # Bob looks elsewhere while Alice fills #pictures with images and words.
    bob.page.get_by_test_id("channel-general").click()
    bob.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
    colours = [(200, 60, 60), (60, 200, 60), (60, 60, 200), (200, 200, 60)]
    # (five messages at most: the channel's rate limit is five per five seconds)
    for n, rgb in enumerate(colours):
        send_image(alice, f"picture {n}", (400, 300), rgb)

    # Bob opens the channel: once its images have loaded, the newest message is in view.
    bob.page.get_by_test_id("channel-pictures").click()
    bob.shown("picture 3").wait_for()
    bob.page.wait_for_function(IMAGES_LOADED, arg=len(colours))
    bob.page.wait_for_function(AT_NEWEST, timeout=5_000)

    # A new image arrives: he stays at the bottom, below it.
    send_image(alice, "one more picture", (300, 400), (120, 30, 160))
    bob.message("one more picture").get_by_role("img").wait_for()
    bob.page.wait_for_function(IMAGES_LOADED, arg=len(colours) + 1)
    bob.page.wait_for_function(AT_NEWEST, timeout=5_000)

    # A reaction to the newest message grows it: still at the bottom.
    newest = bob.message("one more picture").get_attribute("data-message-id")
    club.api("PUT", f"/channels/{pictures}/messages/{newest}/reactions/{quote('🎉')}/@me")
    bob.message("one more picture").get_by_test_id("reaction").filter(has_text="🎉 1").wait_for()
    bob.page.wait_for_function(AT_NEWEST, timeout=5_000)


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, "not laid out"
    result: dict[str, float] = found
    return result


def test_the_reaction_picker_opens_beside_its_button_and_its_emoji_reach_the_other(
    club: Club,
) -> None:
    alice, bob = club.alice, club.bob
    club.channel("reactions")
    alice.page.get_by_test_id("composer").fill("react to this one")
    alice.page.get_by_test_id("composer").press("Enter")
    target = bob.message("react to this one")
    target.wait_for()
    target.hover()
    button = target.get_by_role("button", name="Add reaction")
    near = box(button)
    button.click()
    picker = bob.page.get_by_test_id("reaction-picker")
    picker.get_by_role("button", name="Grinning Face", exact=True).wait_for()
    where = box(picker)
    # Beside the button: its right edge lines up with the button's, and it starts just below
    # the button or ends just above it.
    assert abs((where["x"] + where["width"]) - (near["x"] + near["width"])) <= 24, (near, where)
    below = abs(where["y"] - (near["y"] + near["height"])) <= 24
    above = abs((where["y"] + where["height"]) - near["y"]) <= 24
    assert below or above, (near, where)

    # The full set, searchable: Bob looks for a party and picks it.
    search = picker.get_by_label("Search emoji")
    search.press_sequentially("party", delay=90)
    picker.get_by_role("button", name="Party Popper").wait_for()
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    search.fill("")
    picker.get_by_role("tab", name="Food & drink").click()
    picker.screenshot(path=str(DOCS_IMG / "emoji-picker.png"))
    search.press_sequentially("party", delay=90)
    picker.get_by_role("button", name="Party Popper").click()
    picker.wait_for(state="detached")
    target.get_by_test_id("reaction").filter(has_text="🎉 1").wait_for()
    alice.message("react to this one").get_by_test_id("reaction").filter(has_text="🎉 1").wait_for()
    # Who reacted, in the reaction's tooltip.
    alice_chip = alice.message("react to this one").get_by_test_id("reaction")
    alice_chip.hover()
    alice.page.get_by_role("tooltip").filter(has_text="bob_list reacted with 🎉").wait_for()
    alice_chip.click()
    chip = target.get_by_test_id("reaction").filter(has_text="🎉 2")
    chip.hover()
    bob.page.get_by_role("tooltip").filter(has_text="You and alice_list reacted with 🎉").wait_for()


def test_the_composer_inserts_emoji_from_its_button_and_from_shortcodes(club: Club) -> None:
    alice, bob = club.alice, club.bob
    channel = club.channel("emoji-talk")
    composer = bob.page.get_by_test_id("composer")
    composer.press_sequentially("Hello ", delay=90)
    # The emoji button: the picker, a search, a pick; the emoji lands at the caret.
    bob.page.get_by_role("button", name="Emoji", exact=True).click()
    picker = bob.page.get_by_test_id("emoji-picker")
    picker.get_by_label("Search emoji").press_sequentially("wave", delay=90)
    picker.get_by_role("button", name="Waving Hand", exact=True).click()
    picker.wait_for(state="detached")
    assert composer.input_value() == "Hello 👋"
    # Typing goes on where the emoji went; `:smi` offers shortcodes, Enter takes the first.
    composer.press_sequentially(" and :smi", delay=90)
    suggestions = bob.page.get_by_test_id("emoji-suggestions")
    suggestions.get_by_role("menuitem").filter(has_text=":smiley:").wait_for()
    assert suggestions.get_by_role("menuitem").first.inner_text().endswith(":smiley:")
    composer.press("Enter")
    suggestions.wait_for(state="detached")
    assert composer.input_value() == "Hello 👋 and 😃"
    # ... and Tab takes one too.
    composer.press_sequentially(" so :tada", delay=90)
    suggestions.get_by_role("menuitem").filter(has_text=":tada:").wait_for()
    composer.press("Tab")
    composer.press_sequentially(" there", delay=90)
    composer.press("Enter")
    sent = "Hello 👋 and 😃 so 🎉 there"
    alice.shown(sent).wait_for()
    stored = club.api("GET", f"/channels/{channel}/messages?limit=5")
    assert [m["content"] for m in stored] == [sent]
