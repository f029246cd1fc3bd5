"""Direct messages on the REAL local stack, in Chromium: Alice opens a DM with Bob from the member
list and types at human speed; Bob's Home button and DM list show it unread without a reload,
he opens it, reads and replies. Then a named group DM of the three: created from Home's dialog,
renamed, and left by Carol, and the others see each change live.

The guild is set up through the REST API; the people use the pages. A screenshot of Bob's Home
goes to docs/img/dms.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_full_stack import PASSWORD, Person, sign_in
from tests.e2e.test_voice_gateway_chromium import call
from tests.integration.conftest import register_user
from tests.integration.stackproc import REPO_ROOT, StackProcess

GUILD = "DM Club"
#: People type about 11 characters a second.
KEY_DELAY_MS = 90
SCREENSHOT = REPO_ROOT / "docs" / "img" / "dms.png"
NAMES = ("alice_dm", "bob_dm", "carol_dm")


@pytest.fixture(scope="module")
def setting(ui_stack: StackProcess) -> dict[str, Any]:
    """Alice's guild with Bob and Carol in it."""
    alice, bob, carol = (register_user(ui_stack, name, PASSWORD) for name in NAMES)
    owner = alice["access_token"]
    guild = call(ui_stack, owner, "POST", "/guilds", {"name": GUILD})
    general = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = call(ui_stack, owner, "POST", f"/channels/{general}/invites", {})
    for joiner in (bob, carol):
        call(ui_stack, joiner["access_token"], "POST", f"/invites/{invite['code']}")
    return {"alice": alice, "bob": bob, "carol": carol}


@pytest.fixture(scope="module")
def people(
    ui_stack: StackProcess, chromium: Any, setting: dict[str, Any], artifacts: Path
) -> Iterator[tuple[Person, Person, Person]]:
    http_url = ui_stack.info["http_url"]
    shots = artifacts / "e2e"
    shots.mkdir(exist_ok=True)
    signed_in = [sign_in(Person(name, None, None), chromium, http_url) for name in NAMES]
    try:
        for person in signed_in:
            person.page.get_by_role("button", name=GUILD, exact=True).click()
        alice, bob, carol = signed_in
        yield alice, bob, carol
    finally:
        for person in signed_in:
            person.page.screenshot(path=str(shots / f"dms-last-{person.name}.png"))
            (shots / f"dms-last-{person.name}.log").write_text("\n".join(person.log))
            person.context.close()


def type_message(person: Person, text: str) -> None:
    """Type key by key into the open channel's composer and send with Enter."""
    composer = person.page.get_by_test_id("composer")
    composer.click()
    composer.press_sequentially(text, delay=KEY_DELAY_MS)
    composer.press("Enter")


def home(person: Person) -> Any:
    return person.page.get_by_role("button", name="Home", exact=True)


def dm_entry(person: Person, name: str) -> Any:
    """The entry named ``name`` in Home's list of DMs."""
    return person.page.get_by_role("list", name="Your DMs").get_by_role(
        "listitem", name=name, exact=True
    )


def stored(stack: StackProcess, who: dict[str, Any], channel: str) -> list[str]:
    messages = call(stack, who["access_token"], "GET", f"/channels/{channel}/messages")
    return [m["content"] for m in messages]


def test_a_dm_opened_from_the_member_list_reaches_the_other_unread_and_is_answered(
    ui_stack: StackProcess, people: tuple[Person, Person, Person], setting: dict[str, Any]
) -> None:
    alice, bob, _ = people
    # Alice: "Message" on Bob in the member list opens the DM in Home.
    alice.page.get_by_role("button", name="Message bob_dm", exact=True).click()
    alice.page.get_by_test_id("channel-title").filter(has_text="bob_dm").wait_for()
    assert home(alice).get_attribute("aria-current") == "true"
    # The composer names who the message goes to, not a channel.
    assert alice.page.get_by_test_id("composer").get_attribute("placeholder") == "Message @bob_dm"
    first = "hey bob, lunch at noon?"
    type_message(alice, first)
    alice.shown(first).wait_for()

    # Bob, still in the guild, sees the DM arrive: a badge on Home, then on the DM itself.
    bob.page.locator('[aria-label="Home"][data-unread="1"]').wait_for()
    home(bob).click()
    entry = dm_entry(bob, "alice_dm")
    entry.wait_for()
    assert entry.get_attribute("data-unread") == "1"
    entry.click()
    bob.shown(first).wait_for()
    bob.page.locator('[aria-label="Home"]:not([data-unread])').wait_for()
    bob.page.locator('[role="listitem"][aria-label="alice_dm"]:not([data-unread])').wait_for()

    reply = "sure, see you there"
    type_message(bob, reply)
    alice.shown(reply).wait_for()
    # What each typed is what the server stored, key for key.
    channel = (dm_entry(alice, "bob_dm").get_attribute("data-testid") or "").removeprefix("dm-")
    assert stored(ui_stack, setting["alice"], channel) == [reply, first]

    bob.page.mouse.move(1, 1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    bob.page.screenshot(path=str(SCREENSHOT))

    # Bob mutes the DM for an hour from its header: the bell says so, and the server keeps it.
    bob.page.get_by_role("button", name="Notification settings", exact=True).click()
    dialog = bob.page.get_by_role("dialog")
    dialog.get_by_role("button", name="Mute for 1 hour").click()
    dialog.get_by_test_id("muted-until").wait_for()
    dialog.get_by_role("button", name="Close").click()
    bob.page.locator('[aria-label="Notification settings"][data-muted="true"]').wait_for()
    kept = call(ui_stack, setting["bob"]["access_token"], "GET", "/users/@me/guilds/settings")
    dms = next(s for s in kept if s["guild_id"] is None)
    assert [(o["channel_id"], o["muted"]) for o in dms["channel_overrides"]] == [(channel, True)]


def test_a_named_group_is_created_renamed_and_left_and_everyone_sees_it_live(
    ui_stack: StackProcess, people: tuple[Person, Person, Person], setting: dict[str, Any]
) -> None:
    alice, bob, carol = people
    for person in people:
        home(person).click()
    alice.page.get_by_role("button", name="New group DM", exact=True).click()
    alice.page.get_by_test_id("group-name-input").press_sequentially(
        "Weekend plans", delay=KEY_DELAY_MS
    )
    dialog = alice.page.get_by_role("dialog")
    for name in ("bob_dm", "carol_dm"):
        dialog.get_by_label(name, exact=True).check()
    dialog.get_by_role("button", name="Create group", exact=True).click()
    alice.page.get_by_test_id("channel-title").filter(has_text="Weekend plans").wait_for()

    # Bob and Carol get it live, with nothing in it yet, and open it.
    for person in (bob, carol):
        dm_entry(person, "Weekend plans").click()
        person.page.get_by_test_id("dm-members").filter(has_text="3 members").wait_for()

    # Bob renames it; the others' lists and headers follow.
    bob.page.get_by_role("button", name="Rename", exact=True).click()
    field = bob.page.get_by_test_id("group-rename-input")
    field.fill("")
    field.press_sequentially("Road trip", delay=KEY_DELAY_MS)
    bob.page.get_by_role("button", name="Save", exact=True).click()
    for person in people:
        person.page.get_by_test_id("channel-title").filter(has_text="Road trip").wait_for()
        dm_entry(person, "Road trip").wait_for()

    # Carol leaves: it leaves her list, and the others' headers lose her.
    carol.page.get_by_role("button", name="Leave group", exact=True).click()
    carol.page.get_by_role("dialog").get_by_role("button", name="Leave", exact=True).click()
    dm_entry(carol, "Road trip").wait_for(state="detached")
    for person in (alice, bob):
        members = person.page.get_by_test_id("dm-members")
        members.filter(has_text="2 members").wait_for()
        assert "carol_dm" not in members.inner_text()

    # What is said now reaches Bob, and Carol can no longer read it.
    said = "carol is out, just us two"
    type_message(alice, said)
    bob.shown(said).wait_for()
    channel = (dm_entry(alice, "Road trip").get_attribute("data-testid") or "").removeprefix("dm-")
    assert stored(ui_stack, setting["bob"], channel) == [said]
    with pytest.raises(Exception, match="404"):
        stored(ui_stack, setting["carol"], channel)
