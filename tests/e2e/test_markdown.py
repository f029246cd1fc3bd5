"""Markdown on the REAL local stack: Alice types Discord-style markdown at human speed, Bob's
Chromium shows it as elements (bold, italics, a highlighted code block, a quote, a spoiler that a
click reveals, a masked link that opens without an opener), a typed ``<script>`` stays text, and a
mention of Carol, who was kicked before Bob ever loaded the guild, shows her name.

The guild is set up through the REST API; the two people use the login form and the composer.
A screenshot of Bob's rendered message goes to docs/img/markdown.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.channel_people import people_in_general
from tests.e2e.test_full_stack import PASSWORD, Person
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import REPO_ROOT, StackProcess

GUILD = "Markdown Club"
#: People type about 11 characters a second.
KEY_DELAY_MS = 90
SCREENSHOT = REPO_ROOT / "docs" / "img" / "markdown.png"


@pytest.fixture(scope="module")
def setting(ui_stack: StackProcess) -> dict[str, Any]:
    """Alice's guild with Bob in it; Carol joined and was kicked before anyone opened a page."""
    alice, bob, carol = (
        register_user(ui_stack, name, PASSWORD) for name in ("alice_md", "bob_md", "carol_md")
    )
    owner = alice["access_token"]
    guild = call(ui_stack, owner, "POST", "/guilds", {"name": GUILD})
    general = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = call(ui_stack, owner, "POST", f"/channels/{general}/invites", {})
    for joiner in (bob, carol):
        call(ui_stack, joiner["access_token"], "POST", f"/invites/{invite['code']}")
    call(ui_stack, owner, "DELETE", f"/guilds/{guild['id']}/members/{carol['user']['id']}")
    return {"alice": alice, "bob": bob, "carol": carol, "general": general}


@pytest.fixture(scope="module")
def people(
    ui_stack: StackProcess, chromium: Any, setting: dict[str, Any], artifacts: Path
) -> Iterator[tuple[Person, Person]]:
    http_url = ui_stack.info["http_url"]
    names = ["alice_md", "bob_md"]
    shots = artifacts / "e2e"
    with people_in_general(chromium, http_url, names, GUILD, shots, "markdown") as (alice, bob):
        yield alice, bob


def type_message(person: Person, lines: list[str]) -> None:
    """Type the lines key by key, Shift+Enter between them, and send with Enter."""
    composer = person.page.get_by_test_id("composer")
    composer.click()
    for index, line in enumerate(lines):
        if index:
            composer.press("Shift+Enter")
        composer.press_sequentially(line, delay=KEY_DELAY_MS)
    composer.press("Enter")


def test_markdown_typed_by_one_is_rendered_as_elements_for_the_other(
    ui_stack: StackProcess, people: tuple[Person, Person], setting: dict[str, Any]
) -> None:
    alice, bob = people
    carol_id = setting["carol"]["user"]["id"]
    lines = [
        "**bold move** and *quietly* ||the butler|| "
        f"see [the docs](https://example.com/docs) <@{carol_id}>",
        "> quoted wisdom",
        "```python",
        "def answer():",
        "    return 42",
        "```",
    ]
    type_message(alice, lines)

    message = bob.page.get_by_test_id("message-content").filter(has_text="bold move")
    message.wait_for()
    strong = message.locator("strong")
    assert strong.inner_text() == "bold move"
    assert message.locator("em").inner_text() == "quietly"
    assert message.locator("blockquote").inner_text().strip() == "quoted wisdom"
    code = message.locator("pre code")
    # Highlighted once highlight.js has loaded: "def" is a keyword span.
    code.locator(".hljs-keyword").filter(has_text="def").wait_for()
    assert code.inner_text() == "def answer():\n    return 42"

    link = message.locator("a", has_text="the docs")
    assert link.get_attribute("href") == "https://example.com/docs"
    assert "noopener" in (link.get_attribute("rel") or "").split()
    assert link.get_attribute("target") == "_blank"

    # Carol left before Bob's page loaded: her name comes from the server, not "unknown user".
    mention = message.locator(".mention")
    mention.filter(has_text="@carol_md").wait_for()
    assert "unknown user" not in message.inner_text()

    spoiler = message.locator(".spoiler")
    assert spoiler.get_attribute("data-revealed") == "false"
    spoiler.click()
    message.locator('.spoiler[data-revealed="true"]').wait_for()
    assert spoiler.inner_text() == "the butler"

    # The pointer off the message, so that its hover toolbar leaves the picture.
    bob.page.mouse.move(1, 1)
    bob.page.get_by_role("toolbar", name="Message actions").wait_for(state="detached")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    bob.page.get_by_test_id("message").filter(has_text="bold move").screenshot(path=str(SCREENSHOT))

    # What Alice typed is what the server stored, key for key.
    token = setting["alice"]["access_token"]
    stored = call(ui_stack, token, "GET", f"/channels/{setting['general']}/messages")
    assert "\n".join(lines) in [m["content"] for m in stored]


def test_html_typed_in_a_message_stays_text(people: tuple[Person, Person]) -> None:
    alice, bob = people
    typed = "<script>window.pwned = 1</script> <img src=x onerror=alert(1)> &lt;b&gt;"
    type_message(alice, [typed])

    message = bob.page.get_by_test_id("message-content").filter(has_text="window.pwned")
    message.wait_for()
    assert message.inner_text().startswith(typed)
    assert message.locator("script, img, b").count() == 0
    assert bob.page.evaluate("window.pwned") is None
