"""Mention completion on the REAL local stack, in Debian's Chromium: Alice types ``@`` and the
first letters of a name at human speed, picks with the keyboard, goes on typing and sends; Bob's
page shows the message as a mention of him. A role (Bob holds it) and a ``#channel`` are picked
the same way, and a member who joined after Alice's page loaded is offered from the server's
member search (``GET /guilds/{id}/members/search``).

The guild is set up through the REST API; the two people use the login form and the composer.
What the server stored is checked key for key: ``<@id>``, ``<@&id>``, ``<#id>`` and every word
typed after a mention.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.signed_in import in_general
from tests.e2e.test_full_stack import PASSWORD, Person
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess

GUILD = "Mention Club"
#: People type about 11 characters a second.
KEY_DELAY_MS = 90


@pytest.fixture(scope="module")
def setting(ui_stack: StackProcess) -> dict[str, Any]:
    """Alice's guild with Bob in it, a mentionable role Bob holds, and a second text channel."""
    alice, bob = (register_user(ui_stack, name, PASSWORD) for name in ("alice_mn", "bob_mn"))
    owner = alice["access_token"]
    guild = call(ui_stack, owner, "POST", "/guilds", {"name": GUILD})
    general = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = call(ui_stack, owner, "POST", f"/channels/{general}/invites", {"max_uses": 0})
    call(ui_stack, bob["access_token"], "POST", f"/invites/{invite['code']}")
    role = call(
        ui_stack,
        owner,
        "POST",
        f"/guilds/{guild['id']}/roles",
        {"name": "Raccoons", "mentionable": True},
    )
    bob_id = bob["user"]["id"]
    call(ui_stack, owner, "PUT", f"/guilds/{guild['id']}/members/{bob_id}/roles/{role['id']}")
    random = call(
        ui_stack, owner, "POST", f"/guilds/{guild['id']}/channels", {"name": "random", "type": 0}
    )
    return {
        "alice": alice,
        "bob": bob,
        "guild": guild["id"],
        "general": general,
        "invite": invite["code"],
        "role": role["id"],
        "random": random["id"],
    }


@pytest.fixture(scope="module")
def people(
    ui_stack: StackProcess, chromium: Any, setting: dict[str, Any], artifacts: Path
) -> Iterator[tuple[Person, ...]]:
    http_url = ui_stack.info["http_url"]
    with in_general(
        chromium, http_url, ("alice_mn", "bob_mn"), GUILD, artifacts, "mentions"
    ) as pair:
        yield pair


def type_keys(person: Person, text: str) -> None:
    person.page.get_by_test_id("composer").press_sequentially(text, delay=KEY_DELAY_MS)


def pick(person: Person, list_id: str, shown: str, key: str) -> None:
    """Wait until the suggestion list's chosen row shows ``shown``, then press ``key``."""
    row = person.page.get_by_test_id(list_id).locator(".Mui-selected")
    row.filter(has_text=shown).wait_for()
    person.page.get_by_test_id("composer").press(key)
    person.page.get_by_test_id(list_id).wait_for(state="detached")


def stored(stack: StackProcess, setting: dict[str, Any]) -> list[str]:
    token = setting["alice"]["access_token"]
    messages = call(stack, token, "GET", f"/channels/{setting['general']}/messages")
    return [m["content"] for m in messages]


def test_a_member_picked_with_the_keyboard_is_mentioned_for_them(
    ui_stack: StackProcess, people: tuple[Person, ...], setting: dict[str, Any]
) -> None:
    alice, bob = people
    alice.page.get_by_test_id("composer").click()
    type_keys(alice, "hello @bo")
    pick(alice, "mention-suggestions", "bob_mn", "Tab")
    assert alice.page.get_by_test_id("composer").input_value() == "hello @bob_mn "
    type_keys(alice, "how are you")
    alice.page.get_by_test_id("composer").press("Enter")

    message = bob.page.locator('[data-testid="message"][data-mentioned="true"]').filter(
        has_text="how are you"
    )
    message.wait_for()
    message.locator('.mention[data-mention="user"]').filter(has_text="@bob_mn").wait_for()
    bob_id = setting["bob"]["user"]["id"]
    assert f"hello <@{bob_id}> how are you" in stored(ui_stack, setting)


def test_a_role_and_a_channel_are_picked_the_same_way(
    ui_stack: StackProcess, people: tuple[Person, ...], setting: dict[str, Any]
) -> None:
    alice, bob = people
    alice.page.get_by_test_id("composer").click()
    type_keys(alice, "@rac")
    pick(alice, "mention-suggestions", "@Raccoons", "Enter")
    type_keys(alice, "meet in #ran")
    pick(alice, "channel-suggestions", "#random", "Enter")
    type_keys(alice, "now")
    alice.page.get_by_test_id("composer").press("Enter")

    # Bob holds the role: the message is a mention of him.
    message = bob.page.locator('[data-testid="message"][data-mentioned="true"]').filter(
        has_text="meet in"
    )
    message.wait_for()
    message.locator('.mention[data-mention="role"]').filter(has_text="@Raccoons").wait_for()
    message.locator('.mention[data-mention="channel"]').filter(has_text="#random").wait_for()
    expected = f"<@&{setting['role']}> meet in <#{setting['random']}> now"
    assert expected in stored(ui_stack, setting)


def test_a_member_the_page_has_not_loaded_comes_from_the_search(
    ui_stack: StackProcess, people: tuple[Person, ...], setting: dict[str, Any]
) -> None:
    alice, bob = people
    carol = register_user(ui_stack, "carol_mn", PASSWORD)
    call(ui_stack, carol["access_token"], "POST", f"/invites/{setting['invite']}")
    carol_id = carol["user"]["id"]
    alice.page.get_by_test_id("composer").click()

    def searched(response: Any) -> bool:
        return "/members/search?query=car" in response.url

    with alice.page.expect_response(searched) as answer:
        type_keys(alice, "welcome @car")
    found = json.loads(answer.value.body())
    assert [m["user"]["username"] for m in found] == ["carol_mn"]
    pick(alice, "mention-suggestions", "carol_mn", "Enter")
    type_keys(alice, "!")
    alice.page.get_by_test_id("composer").press("Enter")

    bob.page.get_by_test_id("message-content").filter(has_text="welcome").locator(
        '.mention[data-mention="user"]'
    ).filter(has_text="@carol_mn").wait_for()
    assert f"welcome <@{carol_id}> !" in stored(ui_stack, setting)
