"""Ended logins in real Chromium on the REAL local stack: "Log out everywhere" in one browser
context sends the user's other context to the login screen (its gateway connection closed by
the server, the reconnect refused, the one refresh refused too), and a password change works
end to end (a wrong current password is a field error; then every login ends and only the new
password signs in). People type at human speed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_full_stack import Person, add_guild, gateway_session, open_person
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct-Horse-battery-9"
NEW_PASSWORD = "Purple-lantern-orbit-73"
NAME = "erin_e2e"
#: How long the other context may take to show the login screen: the server's close, one
#: reconnect refused in `$connect` and one refused refresh, each after a short backoff.
SIGNED_OUT_WITHIN_MS = 20_000
#: Human typing: a key every 75 ms.
KEY_DELAY_MS = 75


def type_into(locator: Any, text: str) -> None:
    locator.click()
    locator.press_sequentially(text, delay=KEY_DELAY_MS)


def sign_in(person: Person, password: str) -> None:
    page = person.page
    type_into(page.get_by_test_id("login-name"), NAME)
    type_into(page.get_by_test_id("login-password"), password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def open_settings(person: Person) -> None:
    person.page.get_by_role("button", name="User settings").click()
    person.page.get_by_role("dialog").wait_for()


@pytest.fixture
def two_sessions(
    ui_stack: StackProcess, chromium: Any, artifacts: Path
) -> Iterator[tuple[Person, Person]]:
    """The same user, in a guild, signed in in two browser contexts, each with a ready gateway
    session."""
    http_url = ui_stack.info["http_url"]
    first = open_person(chromium, http_url, NAME)
    second = open_person(chromium, http_url, NAME)
    try:
        page = first.page
        page.get_by_role("tab", name="Register").click()
        type_into(page.get_by_test_id("login-name"), NAME)
        type_into(page.get_by_test_id("register-email"), f"{NAME}@example.com")
        type_into(page.get_by_test_id("login-password"), PASSWORD)
        page.get_by_role("button", name="Create account").click()
        gateway_session(first)
        # The user settings (and their sign-out buttons) sit under a guild's channel list.
        add_guild(first, "Create", "Ended Logins")
        sign_in(second, PASSWORD)
        gateway_session(second)
        yield first, second
    finally:
        for tag, person in (("first", first), ("second", second)):
            person.page.screenshot(path=str(artifacts / "e2e" / f"ended-login-{tag}.png"))
            (artifacts / "e2e" / f"ended-login-{tag}.log").write_text(
                "\n".join([*person.log, *person.api_paths, *person.websockets])
            )
            person.context.close()


def test_log_out_everywhere_signs_out_the_other_context_and_a_password_change_works(
    two_sessions: tuple[Person, Person],
) -> None:
    first, second = two_sessions
    signed_in_button = first.page.get_by_role("button", name="Sign in", exact=True)

    # Log out everywhere in the first context: it is at the login screen at once...
    open_settings(first)
    first.page.get_by_role("button", name="Log out everywhere").click()
    started = time.monotonic()
    first.page.get_by_text("You were signed out.").wait_for()
    # ... and the second, told only by the server, gets there within the bound.
    second.page.get_by_text("You were signed out.").wait_for(timeout=SIGNED_OUT_WITHIN_MS)
    second.log.append(f"at the login screen {time.monotonic() - started:.2f} s after the click")
    second.page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert second.page.get_by_test_id("main").count() == 0

    # A password change: the wrong current password is the form's field error.
    sign_in(first, PASSWORD)
    gateway_session(first)
    open_settings(first)
    dialog = first.page.get_by_role("dialog")
    type_into(dialog.get_by_label("Current password"), "not-my-Password-77")
    type_into(dialog.get_by_label("New password"), NEW_PASSWORD)
    dialog.get_by_role("button", name="Change password").click()
    dialog.get_by_text("not the current password").wait_for()
    # The right one: every login ends, this one too, and the page says what to do.
    current = dialog.get_by_label("Current password")
    current.fill("")
    type_into(current, PASSWORD)
    dialog.get_by_role("button", name="Change password").click()
    first.page.get_by_text("Sign in again with the new password").wait_for()

    # The old password no longer signs in; the new one does.
    sign_in(first, PASSWORD)
    first.page.get_by_role("alert").wait_for()
    assert first.page.get_by_test_id("main").count() == 0
    first.page.get_by_test_id("login-name").fill("")
    first.page.get_by_test_id("login-password").fill("")
    sign_in(first, NEW_PASSWORD)
    gateway_session(first)
    assert signed_in_button.count() == 0
