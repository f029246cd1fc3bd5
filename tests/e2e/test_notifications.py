"""Notifications on the REAL local stack (`parley dev`, the built UI) in Debian's Chromium: Bob's
page, with the notifications permission granted, records every notification it creates (the
real `Notification` still runs) while Alice writes through the REST API. The default notifies of
mentions and DMs only; "all messages" and a mute change that; the title counts unread mentions;
the settings live on the server (a reload, a second session).

Every wait is on a condition (Playwright's locators, or a function polled in the page).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import run_desktop
from tests.e2e.fake_server import login_script
from tests.e2e.test_full_stack import (
    PASSWORD,
    Person,
    gateway_session,
    open_person,
    sign_in,
    unread,
)
from tests.integration.stackproc import StackProcess

#: Wraps `Notification` before the page's scripts run: each construction is recorded, and the
#: browser's own constructor still makes the notification.
#: (``window.__shown`` keeps the notifications themselves, to click one.)
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notes = [];
  window.__shown = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notes.push({ title, body: (options && options.body) || "" });
      window.__shown.push(this);
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();
"""


class Api:
    """One user on the REST API."""

    def __init__(self, http_url: str, name: str, *, register: bool = True) -> None:
        self.base = f"{http_url}/api/v1"
        self.name = name
        if register:
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            reply = requests.post(f"{self.base}/auth/register", json=body, timeout=60)
        else:
            body = {"login": name, "password": PASSWORD}
            reply = requests.post(f"{self.base}/auth/login", json=body, timeout=60)
        assert reply.status_code == (201 if register else 200), reply.text
        self.id: str = reply.json()["user"]["id"]
        self.headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        reply = requests.request(
            method, f"{self.base}{path}", json=body, headers=self.headers, timeout=60
        )
        assert reply.status_code == status, reply.text
        return reply.json() if reply.text else None

    def send(self, channel_id: str, content: str) -> None:
        self.call("POST", f"/channels/{channel_id}/messages", {"content": content}, 201)


def notes(person: Person) -> list[dict[str, str]]:
    return list(person.page.evaluate("() => window.__notes"))


def wait_for_notes(person: Person, count: int) -> list[dict[str, str]]:
    person.page.wait_for_function(f"() => window.__notes.length >= {count}")
    return notes(person)


def settings_dialog(person: Person, channel: str) -> Any:
    """The channel's notification settings, opened from its context menu (a right-click)."""
    person.page.get_by_test_id(f"channel-{channel}").click(button="right")
    dialog = person.page.get_by_role("dialog", name=f"Notifications for #{channel}")
    dialog.wait_for()
    return dialog


def saved(person: Person, action: Any) -> None:
    """Do ``action`` and wait for the server to answer the settings change."""
    with person.page.expect_response(
        lambda r: r.url.endswith("/settings") and r.request.method == "PATCH"
    ) as reply:
        action()
    assert reply.value.status == 200, reply.value.text()


@pytest.fixture
def bob(ui_stack: StackProcess, chromium: Any) -> Iterator[Person]:
    """Bob, registered, signed in on a page that records its notifications."""
    http_url = ui_stack.info["http_url"]
    name = f"bob{uuid.uuid4().hex[:6]}"
    Api(http_url, name)
    person = open_person(chromium, http_url, name)
    person.context.grant_permissions(["notifications"], origin=http_url)
    person.context.add_init_script(RECORD_NOTIFICATIONS)
    person.page.reload()  # the recorder is in place from this load on
    page = person.page
    page.get_by_test_id("login-name").fill(name)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    gateway_session(person)
    yield person
    person.context.close()


def test_notifications_follow_the_settings_kept_by_the_server(
    ui_stack: StackProcess, chromium: Any, bob: Person
) -> None:
    http_url = ui_stack.info["http_url"]
    page = bob.page
    alice = Api(http_url, f"alice{uuid.uuid4().hex[:6]}")
    guild = alice.call("POST", "/guilds", {"name": "Notify Club"}, 201)
    general = next(c for c in guild["channels"] if c["type"] == 0)
    other = alice.call("POST", f"/guilds/{guild['id']}/channels", {"name": "other", "type": 0}, 201)
    invite = alice.call("POST", f"/channels/{general['id']}/invites", {}, 201)
    bob_api = Api(http_url, bob.name, register=False)  # he joins as a link would, by the API
    bob_api.call("POST", f"/invites/{invite['code']}")
    page.get_by_test_id("guild-name").filter(has_text="Notify Club").wait_for()
    page.get_by_test_id("channel-general").click()
    page.get_by_test_id("channel-other").wait_for()
    assert page.title() == "Parley"

    # A mention notifies, with Alice's name and the text; the title counts it.
    alice.send(other["id"], f"<@{bob_api.id}> look at this")
    [first] = wait_for_notes(bob, 1)
    assert alice.name in first["title"] and "#other" in first["title"], first
    assert first["body"] == f"@{bob.name} look at this", first
    page.wait_for_function("() => document.title === '(1) Parley'")

    # Clicking the notification opens its channel; reading it clears the count.
    page.evaluate("() => window.__shown[0].onclick()")
    page.get_by_test_id("channel-title").filter(has_text="other").wait_for()
    bob.shown("look at this").wait_for()
    page.wait_for_function("() => document.title === 'Parley'")
    page.get_by_test_id("channel-general").click()
    page.get_by_test_id("channel-title").filter(has_text="general").wait_for()

    # A plain message under the default (only mentions) does not notify: it arrives (unread)
    # and the count of notifications stays.
    alice.send(other["id"], "just chatting")
    unread(bob, "other").wait_for()
    assert len(notes(bob)) == 1, notes(bob)

    # A second session of Bob, open before the changes below: they reach it live.
    bob2 = sign_in(bob, chromium, http_url)
    try:
        bob2.page.get_by_test_id("channel-other").wait_for()

        # "All messages" on #other: a plain message notifies.
        dialog = settings_dialog(bob, "other")
        saved(bob, lambda: dialog.get_by_label("All messages").click())
        dialog.locator("input[value='0']:checked").wait_for()  # as the server answered
        dialog.get_by_role("button", name="Close").click()
        alice.send(other["id"], "plain but wanted")
        [*_, wanted] = wait_for_notes(bob, 2)
        assert wanted["body"] == "plain but wanted", wanted
        page.wait_for_function("() => document.title === '(•) Parley'")  # unread, no mention

        # Muted for an hour: nothing notifies, not even a mention; the channel shows muted
        # here, on the other session (live), and after a reload (the server keeps it).
        dialog = settings_dialog(bob, "other")
        saved(bob, lambda: dialog.get_by_role("button", name="Mute for 1 hour").click())
        dialog.get_by_test_id("muted-until").wait_for()
        dialog.get_by_role("button", name="Close").click()
        muted = '[data-testid="channel-other"][data-muted="true"]'
        page.locator(muted).wait_for()
        bob2.page.locator(muted).wait_for()
        page.wait_for_function("() => document.title === 'Parley'")  # muted: not counted
        alice.send(other["id"], f"<@{bob_api.id}> muted mention")
        unread(bob, "other").wait_for()
        assert len(notes(bob)) == 2, notes(bob)
        assert page.title() == "Parley"  # a muted channel does not count
        page.reload()
        gateway_session(bob)
        page.locator(muted).wait_for()
    finally:
        bob2.context.close()

    # A DM notifies by default (opened through the API: the DM view is not needed for this).
    dm = alice.call("POST", "/users/@me/channels", {"recipient_id": bob_api.id}, 201)
    before = len(notes(bob))
    alice.send(dm["id"], "a private word")
    [*_, private] = wait_for_notes(bob, before + 1)
    assert alice.name in private["title"] and private["body"] == "a private word", private


def test_the_desktop_shell_shows_a_mention_through_its_notify_bridge(
    ui_stack: StackProcess, tmp_path: Path
) -> None:
    """`parley desktop` on the local stack, offscreen: Bob signs in through the form, Alice
    mentions him in a channel he is not looking at, and the page asks the shell (not the
    browser's API, which QtWebEngine does not show) for the notification."""
    http_url = ui_stack.info["http_url"]
    alice = Api(http_url, f"alice{uuid.uuid4().hex[:6]}")
    bob = Api(http_url, f"bob{uuid.uuid4().hex[:6]}")
    guild = alice.call("POST", "/guilds", {"name": "Desk Notes"}, 201)
    general = next(c for c in guild["channels"] if c["type"] == 0)
    other = alice.call("POST", f"/guilds/{guild['id']}/channels", {"name": "other", "type": 0}, 201)
    invite = alice.call("POST", f"/channels/{general['id']}/invites", {}, 201)
    bob.call("POST", f"/invites/{invite['code']}")
    mention = {"content": f"<@{bob.id}> the shell should say this"}
    path = f"/api/v1/channels/{other['id']}/messages"
    # Once signed in and on the gateway, with #other listed: Alice writes. Every answer of the
    # bridge's notify is kept, so the run ends only after the shell has answered.
    script = login_script(bob.name, PASSWORD) + (
        "(async () => {"
        " const wait = async (ok) => {"
        "   while (!ok()) await new Promise((r) => setTimeout(r, 50)); };"
        " await wait(() => document.querySelector("
        "   '[data-testid=main][data-gateway=ready] [data-testid=channel-other]'));"
        " const api = window.pywebview.api; const real = api.notify;"
        " window.__shown = [];"
        " api.notify = async (...args) => { const r = await real(...args);"
        "   window.__shown.push(r); return r; };"
        f" await fetch({json.dumps(path)}, {{"
        "   method: 'POST', headers: {'Content-Type': 'application/json',"
        f"   Authorization: {json.dumps(alice.headers['Authorization'])}}},"
        f"   body: {json.dumps(json.dumps(mention))} }});"
        "})();"
    )
    result = run_desktop(
        {
            "server": http_url,
            "state_path": str(tmp_path / "desktop.json"),
            "script": script,
            "ready_js": "window.__shown && window.__shown.length > 0 && window.__shown",
            "record_notifications": True,
            "timeout": 150,
        },
        timeout=240,
    )
    assert result["error"] is None, result
    assert result["probe"] == [True]
    [[title, body]] = result["notified"]
    assert alice.name in title and "#other" in title, title
    assert body == f"@{bob.name} the shell should say this"
