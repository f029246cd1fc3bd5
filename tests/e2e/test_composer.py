"""The composer's send path, two people on the REAL local stack, typing as people type.

Alice writes; Bob's page shows what the server stored and fanned out. Every send here goes through
the real functions (cold workers, a real rate limit of five messages per channel in five seconds),
so a send that clears the composer late, sends out of order or drops a refusal shows as a wrong or
missing message on Bob's side. Waits are on DOM conditions; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_full_stack import Person, add_guild, open_person, register
from tests.integration.stackproc import StackProcess

#: People type about eleven keys a second.
KEY_DELAY_MS = 90
SEND_ROUTE = "**/api/v1/channels/*/messages"


@pytest.fixture(scope="module")
def pair(ui_stack: StackProcess, chromium: Any, artifacts: Path) -> Iterator[tuple[Person, Person]]:
    """Alice and Bob in one guild's #general, each page with its gateway session ready."""
    http_url = ui_stack.info["http_url"]
    alice = open_person(chromium, http_url, "alice_compose")
    bob = open_person(chromium, http_url, "bob_compose")
    alice.page.on("response", lambda r: refused(alice, r))
    try:
        register(alice)
        register(bob)
        add_guild(alice, "Create", "Composer Club")
        alice.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
        alice.page.get_by_role("button", name="Invite people").click()
        alice.page.get_by_role("button", name="Create invite").click()
        code = alice.page.get_by_test_id("invite-code").input_value()
        alice.page.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
        add_guild(bob, "Join with an invite", code)
        bob.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
        yield alice, bob
    finally:
        shots = artifacts / "e2e"
        shots.mkdir(exist_ok=True)
        for person in (alice, bob):
            person.page.screenshot(path=str(shots / f"composer-last-{person.name}.png"))
            (shots / f"composer-last-{person.name}.log").write_text("\n".join(person.log))
        alice.context.close()
        bob.context.close()


def refused(person: Person, response: Any) -> None:
    """Log what a 400 said and to what, for the assertion message."""
    if response.status == 400:
        person.log.append(f"refused {response.request.post_data} -> {response.text()}")


def received(person: Person) -> list[str]:
    """The texts of the messages on the person's screen, oldest first."""
    texts: list[str] = person.page.get_by_test_id("message-content").all_inner_texts()
    return [t.strip() for t in texts]


def wait_received(person: Person, expected: list[str]) -> None:
    """Wait until the person's newest messages are exactly ``expected``, in that order."""
    last = person.page.get_by_test_id("message-content").filter(has_text=expected[-1])
    last.first.wait_for()
    person.page.wait_for_function(
        """(expected) => {
            const shown = [...document.querySelectorAll('[data-testid="message-content"]')]
                .map((e) => e.innerText.trim());
            return JSON.stringify(shown.slice(-expected.length)) === JSON.stringify(expected);
        }""",
        arg=expected,
    )
    assert received(person)[-len(expected) :] == expected


def composer(person: Person) -> Any:
    return person.page.get_by_test_id("composer")


def type_and_send(person: Person, text: str) -> None:
    """Type ``text`` into the composer key by key, as a person does, and press Enter."""
    box = composer(person)
    box.click()
    box.press_sequentially(text, delay=KEY_DELAY_MS)
    box.press("Enter")


def test_two_messages_typed_back_to_back_arrive_whole_and_in_order(
    pair: tuple[Person, Person],
) -> None:
    alice, bob = pair
    type_and_send(alice, "human 1")
    # At once, while the first send is on its way.
    type_and_send(alice, "human 2")
    wait_received(bob, ["human 1", "human 2"])
    wait_received(alice, ["human 1", "human 2"])
    expect(composer(alice)).to_have_value("")


def test_a_burst_of_six_pasted_lines_all_arrive_in_order(pair: tuple[Person, Person]) -> None:
    alice, bob = pair
    lines = [f"pasted line {n} of six" for n in range(1, 7)]
    composer(alice).click()
    for line in lines:
        alice.page.keyboard.insert_text(line)
        alice.page.keyboard.press("Enter")
    # Six in a row is past the channel's five per five seconds: the sixth waits its turn.
    wait_received(bob, lines)
    expect(alice.page.get_by_test_id("outgoing-message")).to_have_count(0)
    assert not [entry for entry in alice.log if entry.startswith("refused ")], alice.log


def test_a_refused_send_stays_with_its_reason_and_delete_removes_it(
    pair: tuple[Person, Person],
) -> None:
    alice, _ = pair
    too_long = "x" * 2001
    composer(alice).fill(too_long)
    composer(alice).press("Enter")
    failed = alice.page.locator('[data-testid="outgoing-message"][data-status="failed"]')
    failed.wait_for()
    expect(failed.get_by_test_id("outgoing-error")).to_contain_text("at most 2000 characters")
    expect(failed.get_by_test_id("outgoing-content")).to_have_text(too_long)
    failed.get_by_role("button", name="Delete").click()
    expect(alice.page.get_by_test_id("outgoing-message")).to_have_count(0)


def test_a_send_cut_off_by_the_network_stays_and_retry_delivers_it(
    pair: tuple[Person, Person],
) -> None:
    alice, bob = pair
    page = alice.page
    page.route(SEND_ROUTE, lambda route: route.abort("internetdisconnected"))
    type_and_send(alice, "sent while offline")
    failed = page.locator('[data-testid="outgoing-message"][data-status="failed"]')
    failed.filter(has_text="sent while offline").wait_for()
    expect(failed.get_by_test_id("outgoing-error")).to_contain_text("cannot be reached")
    page.unroute(SEND_ROUTE)
    failed.get_by_role("button", name="Retry").click()
    wait_received(bob, ["sent while offline"])
    expect(page.get_by_test_id("outgoing-message")).to_have_count(0)


def test_reply_focuses_the_composer_with_the_reply_bar(pair: tuple[Person, Person]) -> None:
    alice, bob = pair
    type_and_send(bob, "ask me something")
    theirs = alice.page.get_by_test_id("message").filter(has_text="ask me something")
    theirs.wait_for()
    alice.page.locator("body").click(position={"x": 5, "y": 5})  # focus elsewhere first
    expect(composer(alice)).not_to_be_focused()
    theirs.hover()
    theirs.get_by_role("button", name="Reply").click()
    expect(alice.page.get_by_test_id("replying-to")).to_contain_text("bob_compose")
    expect(composer(alice)).to_be_focused()
    # Typing goes straight into the reply.
    alice.page.keyboard.type("here is one", delay=KEY_DELAY_MS)
    alice.page.keyboard.press("Enter")
    wait_received(bob, ["here is one"])
    expect(alice.page.get_by_test_id("replying-to")).to_have_count(0)


def test_a_rate_limited_send_is_retried_after_retry_after_and_delivered(
    pair: tuple[Person, Person],
) -> None:
    alice, bob = pair
    page = alice.page
    sends: list[str] = []

    def once_429(route: Any) -> None:
        sends.append(route.request.method)
        if route.request.method != "POST" or len(sends) > 1:
            route.continue_()
            return
        route.fulfill(
            status=429,
            headers={"Retry-After": "1", "X-RateLimit-Reset-After": "0.392"},
            content_type="application/json",
            body=json.dumps(
                {
                    "code": "rate_limited",
                    "message": "You are being rate limited.",
                    "errors": {"retry_after": 0.392},
                }
            ),
        )

    page.route(SEND_ROUTE, once_429)
    type_and_send(alice, "worth the wait")
    wait_received(bob, ["worth the wait"])
    page.unroute(SEND_ROUTE)
    assert sends == ["POST", "POST"]
    expect(page.get_by_test_id("outgoing-message")).to_have_count(0)
    expect(page.get_by_text("retry_after")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
