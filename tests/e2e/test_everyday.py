"""Everyday use outside the message list, on the REAL local stack (`parley dev`, the built UI) in
Debian's Chromium: notices that go by themselves and cover nothing, the ban list's names, the
user bar without a server, whole dialog labels, deafen/undeafen, and a lost gateway said in time.

Each test registers its own people. The stack runs with a short heartbeat interval, so a lost
gateway is measured against an interval a test can wait for.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_full_stack import Person, add_guild, gateway_session, open_person, register
from tests.integration.stackproc import StackProcess

#: Milliseconds between heartbeats: short, so that a lost connection is seen within a test.
HEARTBEAT_MS = 6000


@pytest.fixture(scope="module")
def ui_stack(tmp_path_factory: pytest.TempPathFactory, ui_dist: Path) -> Iterator[StackProcess]:
    """The real template served by `parley dev` with the built UI, and a short heartbeat."""
    stack = StackProcess(
        tmp_path_factory.mktemp("everyday"),
        extra_args=["--no-reload", "--no-warm"],
        env={"PARLEY_HEARTBEAT_INTERVAL_MS": str(HEARTBEAT_MS)},
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def people(ui_stack: StackProcess, chromium: Any) -> Iterator[list[Person]]:
    """People opened by a test, closed after it."""
    opened: list[Person] = []
    yield opened
    for person in opened:
        person.context.close()


def newcomer(people: list[Person], chromium: Any, stack: StackProcess, prefix: str) -> Person:
    person = open_person(chromium, stack.info["http_url"], f"{prefix}{uuid.uuid4().hex[:6]}")
    people.append(person)
    register(person)
    return person


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not shown"
    return dict(found)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


#: Where a dialog field's label is cut: by its own ellipsis, or by a clipping ancestor's edge.
LABEL_CLIP = """(name) => {
  const label = [...document.querySelectorAll('[role=dialog] label')].find(
    (l) => l.textContent.replace('*', '').trim() === name);
  if (!label) return 'no label ' + name;
  if (label.scrollWidth > label.clientWidth + 1) return 'ellipsis';
  const r = label.getBoundingClientRect();
  for (let el = label.parentElement; el; el = el.parentElement) {
    const cs = getComputedStyle(el);
    if (!/(auto|scroll|hidden|clip)/.test(cs.overflowX + cs.overflowY)) continue;
    const c = el.getBoundingClientRect();
    if (r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5 || r.left < c.left - 0.5
        || r.right > c.right + 0.5)
      return `cut by ${el.className}: label ${r.top}-${r.bottom}, box ${c.top}-${c.bottom}`;
  }
  return null;
}"""


def assert_label_whole(page: Any, name: str) -> None:
    field = page.get_by_role("dialog").get_by_label(name, exact=True)
    field.focus()  # an outlined label moves up onto the border when focused or filled
    page.get_by_role("dialog").locator("label.MuiInputLabel-shrink", has_text=name).wait_for()
    assert page.evaluate(LABEL_CLIP, name) is None, page.evaluate(LABEL_CLIP, name)


def test_an_error_notice_goes_by_itself_and_covers_neither_user_bar_nor_composer(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    alice = newcomer(people, chromium, ui_stack, "toast")
    add_guild(alice, "Create", "Toasts")
    page = alice.page

    composer = page.get_by_test_id("composer")
    composer.press_sequentially("react to this", delay=90)
    composer.press("Enter")
    message = alice.message("react to this")
    message.wait_for()

    # A refused send stays in the message list with Retry; a refused reaction is a notice.
    def refuse(route: Any) -> None:
        route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"code": "unavailable", "message": "Try again later."}),
        )

    page.route(re.compile(r"/api/v1/channels/\d+/messages/\d+/reactions/.*"), refuse)
    message.hover()
    message.get_by_role("button", name="Add reaction").click()
    page.get_by_role("button", name="React with 👍").click()
    notice = page.get_by_role("alert").filter(has_text="not saved")
    notice.wait_for()
    shown_at = time.monotonic()
    for other in (page.get_by_test_id("user-bar"), composer):
        assert not overlap(box(notice), box(other)), (box(notice), box(other))
    # Nobody closes it: it goes by itself after some seconds.
    notice.wait_for(state="detached", timeout=30_000)
    assert 3 < time.monotonic() - shown_at < 20


def test_the_ban_list_names_the_banned_user(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    alice = newcomer(people, chromium, ui_stack, "owner")
    bob = newcomer(people, chromium, ui_stack, "banned")
    add_guild(alice, "Create", "Strict Club")
    alice.page.get_by_role("button", name="Invite people").click()
    alice.page.get_by_role("button", name="Create invite").click()
    code = alice.page.get_by_test_id("invite-code")
    code.wait_for()
    invite = code.input_value()
    alice.page.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
    add_guild(bob, "Join with an invite", invite)
    alice.page.get_by_test_id(f"member-{bob.name}").wait_for()

    page = alice.page
    page.get_by_role("button", name="Server settings").click()
    page.get_by_role("tab", name="Members").click()
    page.once("dialog", lambda d: d.accept("spamming the channels"))
    row = page.get_by_role("dialog").get_by_role("listitem").filter(has_text=bob.name)
    row.get_by_role("button", name="Ban").click()
    row.wait_for(state="detached")
    page.get_by_role("tab", name="Bans").click()
    ban = page.get_by_role("dialog").get_by_role("listitem").filter(has_text=bob.name)
    ban.filter(has_text="spamming the channels").wait_for()
    ban.get_by_role("button", name="Unban").wait_for()
    assert ban.locator(".MuiAvatar-root").inner_text() == bob.name[0].upper()


def test_without_a_server_the_user_bar_opens_settings_and_signs_out(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    carol = newcomer(people, chromium, ui_stack, "lonely")
    page = carol.page
    bar = page.get_by_test_id("user-bar")
    bar.get_by_test_id("me-name").filter(has_text=carol.name).wait_for()
    bar.get_by_role("button", name="User settings").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="My account").wait_for()
    dialog.get_by_role("button", name="Sign out").click()
    page.get_by_test_id("login-name").wait_for()


def test_dialog_labels_are_whole(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    dave = newcomer(people, chromium, ui_stack, "labels")
    page = dave.page
    page.get_by_role("button", name="Create or join a server").click()
    page.get_by_role("tab", name="Create").click()
    assert_label_whole(page, "Server name")
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached")
    add_guild(dave, "Create", "Labelled")
    page.get_by_role("button", name="Server settings").click()
    assert_label_whole(page, "Server name")
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached")
    page.get_by_role("button", name="User settings").click()
    assert_label_whole(page, "Username")


def test_undeafen_gives_back_the_mute_from_before(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    erin = newcomer(people, chromium, ui_stack, "deaf")
    add_guild(erin, "Create", "Quiet")
    bar = erin.page.get_by_test_id("user-bar")

    def pressed(name: str) -> Any:
        return bar.locator(f'button[aria-label="{name}"][aria-pressed="true"]')

    def released(name: str) -> Any:
        return bar.locator(f'button[aria-label="{name}"][aria-pressed="false"]')

    # Unmuted: deafen mutes too; undeafen leaves them unmuted.
    released("Deafen").click()
    pressed("Unmute").wait_for()
    pressed("Undeafen").click()
    released("Mute").wait_for()
    released("Deafen").wait_for()
    # Muted: deafen, undeafen: still muted.
    released("Mute").click()
    released("Deafen").click()
    pressed("Undeafen").click()
    released("Deafen").wait_for()
    pressed("Unmute").wait_for()


def test_a_silent_gateway_says_connection_lost_within_one_interval_and_comes_back(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    http_url = ui_stack.info["http_url"]
    frank = Person("gone" + uuid.uuid4().hex[:6], None, None)
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    frank.context, frank.page = context, page
    people.append(frank)
    cut = {"on": False}
    interval: list[int] = []
    heard: list[float] = []

    def gateway(ws: Any) -> None:
        if cut["on"]:
            ws.close()  # the network is away: a new connection fails
            return
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if not cut["on"]:
                server.send(message)

        def to_page(message: str | bytes) -> None:
            if cut["on"]:
                return  # the ACKs (and all else) never arrive
            frame = json.loads(message)
            if frame.get("t") == "READY":
                interval.append(frame["d"]["heartbeat_interval"])
            heard.append(time.monotonic())
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(re.compile(r"^wss?://"), gateway)
    page.goto(f"{http_url}/")
    register(frank)
    gateway_session(frank)
    assert interval == [HEARTBEAT_MS]
    # From now on nothing arrives: the connection is silent, not closed.
    cut["on"] = True
    last_heard = heard[-1]
    lost = page.get_by_role("status").filter(has_text="Connection lost")
    lost.wait_for(timeout=4 * HEARTBEAT_MS)
    assert time.monotonic() - last_heard <= HEARTBEAT_MS / 1000 + 1.0
    # The network comes back: the session resumes.
    cut["on"] = False
    page.locator("[data-testid=main][data-gateway=ready]").wait_for(timeout=60_000)
    lost.wait_for(state="detached")


def test_a_new_display_name_shows_to_others_live_on_older_messages_and_members(
    ui_stack: StackProcess, chromium: Any, people: list[Person]
) -> None:
    alice = newcomer(people, chromium, ui_stack, "host")
    bob = newcomer(people, chromium, ui_stack, "renamer")
    add_guild(alice, "Create", "Name Club")
    alice.page.get_by_role("button", name="Invite people").click()
    alice.page.get_by_role("button", name="Create invite").click()
    code = alice.page.get_by_test_id("invite-code")
    code.wait_for()
    invite = code.input_value()
    alice.page.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
    add_guild(bob, "Join with an invite", invite)
    composer = bob.page.get_by_test_id("composer")
    composer.press_sequentially("said before the rename", delay=90)
    composer.press("Enter")
    older = alice.message("said before the rename")
    older.get_by_test_id("message-author").filter(has_text=bob.name).wait_for()

    bob.page.get_by_role("button", name="User settings").click()
    field = bob.page.get_by_role("dialog").get_by_label("Display name", exact=True)
    field.press_sequentially("Bobby Tables", delay=90)
    bob.page.get_by_role("dialog").get_by_role("button", name="Save").click()
    bob.page.get_by_role("dialog").get_by_text("Saved.").wait_for()

    # Alice, without reloading: the member list and the older message both say the new name.
    alice.page.get_by_test_id(f"member-{bob.name}").filter(has_text="Bobby Tables").wait_for()
    older.get_by_test_id("message-author").filter(has_text="Bobby Tables").wait_for()
