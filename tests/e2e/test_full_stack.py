"""Two people on the REAL local stack (`parley dev` on ephemeral ports, serving the built UI), each
in their own Debian Chromium context: they register, one creates a guild and an invite, the other
joins; messages, an edit, a reaction, an attachment and unread markers reach the other in real
time through the gateway. Screenshots of the main screens go to test-artifacts/e2e/real-*.png.

Every wait is on a DOM condition (Playwright's auto-waiting locators) with a generous deadline:
the stack's functions start cold on a loaded machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.stackproc import StackProcess

#: Generous: first calls start each function's worker cold.
TIMEOUT = 60_000
PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    """One user's browser context and page, and what the page asked of the network."""

    name: str
    context: Any
    page: Any
    websockets: list[str] = field(default_factory=list)
    api_paths: list[str] = field(default_factory=list)
    #: Console messages and failed requests, written next to the screenshots for a failure.
    log: list[str] = field(default_factory=list)

    def shown(self, text: str) -> Any:
        """A message whose text contains ``text``."""
        return self.page.get_by_test_id("message-content").filter(has_text=text)

    def message(self, text: str) -> Any:
        return self.page.get_by_test_id("message").filter(has_text=text)


def open_person(chromium: Any, http_url: str, name: str) -> Person:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    person = Person(name, context, page)
    page.on("websocket", lambda ws: person.websockets.append(ws.url))
    page.on(
        "request",
        lambda r: (
            person.api_paths.append(r.url.split("/api/v1", 1)[1].split("?")[0])
            if "/api/v1/" in r.url
            else None
        ),
    )
    page.on("console", lambda m: person.log.append(f"console {m.type}: {m.text}"))
    page.on(
        "response",
        lambda r: (
            person.log.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None
        ),
    )
    page.on("requestfailed", lambda r: person.log.append(f"failed {r.method} {r.url}"))
    # No ?gateway=: the page finds the gateway through GET /api/v1/gateway.
    page.goto(f"{http_url}/")
    return person


def register(person: Person, screenshot: Path | None = None) -> None:
    page = person.page
    page.get_by_role("tab", name="Register").click()
    page.get_by_test_id("login-name").fill(person.name)
    page.get_by_test_id("register-email").fill(f"{person.name}@example.com")
    page.get_by_test_id("login-password").fill(PASSWORD)
    if screenshot is not None:  # the form only: the page's gradient makes a large PNG
        page.screenshot(path=str(screenshot), clip={"x": 400, "y": 40, "width": 480, "height": 720})
    page.get_by_role("button", name="Create account").click()
    # Signed in, in no guild yet: the rail's "+" and the hint next to it.
    page.get_by_text("You are not in any server yet").wait_for()


def sign_in(person: Person, chromium: Any, http_url: str) -> Person:
    """Another session of the same user: a fresh browser context (no localStorage) signing in
    with the login form. Returns the new Person (same name, its own page and logs)."""
    other = open_person(chromium, http_url, person.name)
    page = other.page
    page.get_by_test_id("login-name").fill(person.name)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    gateway_session(other)
    return other


def reopen(person: Person, chromium: Any, http_url: str) -> None:
    """Close the person's browser context and sign them in again in a fresh one, in place (the
    fixture's last screenshot then shows the new page)."""
    person.context.close()
    fresh = sign_in(person, chromium, http_url)
    person.context, person.page = fresh.context, fresh.page
    person.log.extend(["--- signed in again ---"])
    fresh.page.on("console", lambda m: person.log.append(f"console {m.type}: {m.text}"))


def unread(person: Person, channel: str) -> Any:
    return person.page.locator(f'[data-testid="channel-{channel}"][data-unread="true"]')


def read(person: Person, channel: str) -> Any:
    return person.page.locator(f'[data-testid="channel-{channel}"]:not([data-unread])')


def gateway_session(person: Person) -> str:
    """The id of the page's gateway session, once READY has come."""
    ready = person.page.locator(
        '[data-testid=main][data-gateway=ready]:not([data-gateway-session=""])'
    )
    ready.wait_for()
    return ready.get_attribute("data-gateway-session") or ""


def add_guild(person: Person, tab: str, value: str) -> None:
    """Create or join a guild through the dialog, then wait until the page's own gateway
    session hears the guild: its GUILD_CREATE (live, on the same session) lists the members,
    the person among them. From then on every event of the new guild reaches the page."""
    page = person.page
    before = gateway_session(person)
    page.get_by_role("button", name="Create or join a server").click()
    page.get_by_role("tab", name=tab).click()
    page.get_by_test_id("add-guild-input").fill(value)
    page.get_by_role(
        "button", name="Join" if tab.startswith("Join") else "Create", exact=True
    ).click()
    page.get_by_test_id(f"member-{person.name}").wait_for()
    assert gateway_session(person) == before, "joining started another gateway session"


def send(person: Person, text: str) -> None:
    composer = person.page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")
    person.shown(text).wait_for()


@pytest.fixture(scope="module")
def people(
    ui_stack: StackProcess, chromium: Any, artifacts: Path
) -> Iterator[tuple[Person, Person]]:
    http_url = ui_stack.info["http_url"]
    alice = open_person(chromium, http_url, "alice_e2e")
    bob = open_person(chromium, http_url, "bob_e2e")
    try:
        yield alice, bob
    finally:
        # The last state of each screen: what to look at when a step failed.
        for person in (alice, bob):
            person.page.screenshot(path=str(artifacts / "e2e" / f"real-last-{person.name}.png"))
            (artifacts / "e2e" / f"real-last-{person.name}.log").write_text(
                "\n".join([*person.log, *person.api_paths, *person.websockets])
            )
        alice.context.close()
        bob.context.close()


def test_gateway_discovery_answers_the_stacks_own_gateway(ui_stack: StackProcess) -> None:
    reply = requests.get(f"{ui_stack.info['http_url']}/api/v1/gateway", timeout=30)
    assert reply.status_code == 200
    assert reply.json() == {"url": ui_stack.info["ws_url"]}
    providers = requests.get(f"{ui_stack.info['http_url']}/api/v1/auth/oidc/providers", timeout=30)
    assert (providers.status_code, providers.json()) == (200, {"providers": []})


def test_two_people_register_meet_in_a_guild_and_talk_in_real_time(
    ui_stack: StackProcess, people: tuple[Person, Person], artifacts: Path
) -> None:
    alice, bob = people
    shots = artifacts / "e2e"
    shots.mkdir(exist_ok=True)
    ws_url = ui_stack.info["ws_url"]

    register(alice, screenshot=shots / "real-register.png")
    register(bob)
    # Alice creates a guild and an invite.
    add_guild(alice, "Create", "Real Stack Club")
    alice.page.get_by_test_id("guild-name").filter(has_text="Real Stack Club").wait_for()
    alice.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
    alice.page.get_by_role("button", name="Invite people").click()
    alice.page.get_by_role("button", name="Create invite").click()
    code_field = alice.page.get_by_test_id("invite-code")
    code_field.wait_for()
    code = code_field.input_value()
    assert code
    alice.page.screenshot(path=str(shots / "real-invite.png"))
    alice.page.get_by_role("dialog").get_by_role("button", name="Close", exact=True).click()
    code_field.wait_for(state="detached")

    # Bob joins with it.
    add_guild(bob, "Join with an invite", code)
    bob.page.get_by_test_id("guild-name").filter(has_text="Real Stack Club").wait_for()
    bob.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()

    # Messages both ways, each seen by the other through the gateway.
    send(alice, "hello from alice")
    bob.shown("hello from alice").wait_for()
    send(bob, "hi alice, bob here")
    alice.shown("hi alice, bob here").wait_for()
    assert alice.shown("hello from alice").count() == 1  # REST answer + MESSAGE_CREATE = one
    # Each page asked the stack where its gateway is (no ?gateway= given) and connected there.
    for person in (alice, bob):
        assert "/gateway" in person.api_paths, person.api_paths
        assert any(url.startswith(ws_url) for url in person.websockets), person.websockets

    # Alice edits hers (Up in the empty composer, Enter saves): Bob sees the new words.
    alice.page.get_by_test_id("composer").press("ArrowUp")
    editor = alice.page.get_by_label("Edit message")
    editor.fill("hello from alice (edited on the real stack)")
    editor.press("Enter")
    bob.shown("edited on the real stack").wait_for()
    bob.message("edited on the real stack").get_by_test_id("edited").wait_for()

    # Bob is a plain member: he may invite (@everyone may) but sees no server settings, and
    # may not delete Alice's message; Alice, the owner, may delete his.
    bob.page.get_by_role("button", name="Invite people").wait_for()
    assert bob.page.get_by_role("button", name="Server settings").count() == 0
    theirs = alice.message("hi alice, bob here")
    theirs.hover()
    theirs.get_by_role("button", name="Delete").wait_for()

    # Bob reacts to it: Alice sees the count.
    target = bob.message("edited on the real stack")
    target.hover()
    target.get_by_role("button", name="Add reaction").wait_for()
    assert target.get_by_role("button", name="Delete").count() == 0
    target.get_by_role("button", name="Add reaction").click()
    bob.page.get_by_role("button", name="React with 👍").click()
    reaction = alice.message("edited on the real stack").get_by_test_id("reaction")
    reaction.filter(has_text="👍 1").wait_for()

    # Alice attaches a file: presigned POST to the embedded store, then the message; Bob gets
    # the message with a link that serves the bytes.
    alice.page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"real bytes"}]
    )
    alice.page.get_by_test_id("pending-upload").wait_for()
    send(alice, "my notes attached")
    attachment = bob.message("my notes attached").get_by_test_id("attachment")
    attachment.filter(has_text="notes.txt").wait_for()
    href = attachment.get_by_role("link", name="notes.txt").get_attribute("href")
    assert href, "the attachment has no link"
    assert bob.page.request.get(href).body() == b"real bytes"

    # Bob appears in Alice's member list (GUILD_MEMBER_ADD); Alice, online before he joined,
    # is online in his (his GUILD_CREATE's presences).
    alice.page.get_by_test_id("member-bob_e2e").wait_for()
    bob.page.get_by_test_id("member-alice_e2e").and_(
        bob.page.locator("[data-status=online]")
    ).wait_for()
    alice.page.screenshot(path=str(shots / "real-channel.png"))
    bob.page.screenshot(path=str(shots / "real-channel-bob.png"))

    # Unread markers (read marks kept by the browser until the server sends READY read_state):
    # Alice opens a new channel; what she writes there marks it unread for Bob, reading clears.
    alice.page.get_by_role("button", name="Server settings").click()
    alice.page.get_by_role("tab", name="Channels").click()
    alice.page.get_by_label("New channel").fill("random")
    alice.page.get_by_role("dialog").get_by_role("button", name="Create", exact=True).click()
    alice.page.get_by_label("Rename random", exact=True).wait_for()
    alice.page.screenshot(path=str(shots / "real-guild-settings.png"))
    alice.page.keyboard.press("Escape")
    alice.page.get_by_test_id("channel-random").click()
    alice.page.get_by_test_id("channel-title").filter(has_text="random").wait_for()
    random_for_bob = bob.page.get_by_test_id("channel-random")
    random_for_bob.wait_for()  # CHANNEL_CREATE reached Bob
    send(alice, f"something new in random for {bob.name}")
    bob.page.locator('[data-testid="channel-random"][data-unread="true"]').wait_for()
    bob.page.screenshot(path=str(shots / "real-unread.png"))
    random_for_bob.click()
    bob.shown("something new in random").wait_for()
    bob.page.locator('[data-testid="channel-random"]:not([data-unread])').wait_for()
    # ... and what arrives while Bob is looking at the channel is read at once.
    send(alice, "a second line while bob reads")
    bob.shown("a second line while bob reads").wait_for()
    bob.page.locator('[data-testid="channel-random"]:not([data-unread])').wait_for()

    # Alice takes "Send messages" from @everyone (Roles, the role's permissions): Bob's page
    # hears GUILD_ROLE_UPDATE and says he may not send; given back, he may again.
    def everyone_may_send(allowed: bool) -> None:
        alice.page.get_by_role("button", name="Server settings").click()
        alice.page.get_by_role("tab", name="Roles").click()
        alice.page.get_by_role("button", name="Permissions of @everyone").click()
        alice.page.get_by_role("checkbox", name="Send messages").set_checked(allowed)
        alice.page.get_by_role("button", name="Save").click()
        alice.page.get_by_role("button", name="Save").wait_for(state="detached")
        alice.page.keyboard.press("Escape")

    everyone_may_send(False)
    bob.page.get_by_test_id("composer-locked").wait_for()
    bob.page.screenshot(path=str(shots / "real-may-not-send.png"))
    everyone_may_send(True)
    bob.page.get_by_test_id("composer").wait_for()

    # User settings.
    bob.page.get_by_role("button", name="User settings").click()
    bob.page.get_by_role("tab", name="Voice & audio").click()
    bob.page.get_by_label("Input device").wait_for()
    bob.page.screenshot(path=str(shots / "real-user-settings.png"))
    bob.page.keyboard.press("Escape")


def test_read_markers_are_the_servers_and_follow_the_user_to_other_sessions(
    ui_stack: StackProcess, people: tuple[Person, Person], chromium: Any, artifacts: Path
) -> None:
    """READY `read_state` on a fresh load (no localStorage), MESSAGE_ACK to Bob's other session
    when one of them reads."""
    alice, bob = people
    shots = artifacts / "e2e"
    http_url = ui_stack.info["http_url"]
    # Bob looks elsewhere; Alice writes in #random: unread for Bob.
    bob.page.get_by_test_id("channel-general").click()
    bob.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
    send(alice, "a third line, bob is away")
    unread(bob, "random").wait_for()

    # A second session of Bob (a fresh context: nothing remembered in the browser) learns it
    # from the server's READY read_state: #random unread, #general read.
    bob2 = sign_in(bob, chromium, http_url)
    try:
        bob2.page.get_by_test_id("guild-name").filter(has_text="Real Stack Club").wait_for()
        unread(bob2, "random").wait_for()
        read(bob2, "general").wait_for()
        bob2.page.screenshot(path=str(shots / "real-unread-second-session.png"))

        # Bob reads #random in the first session: the second clears at once (MESSAGE_ACK).
        bob.page.get_by_test_id("channel-random").click()
        bob.shown("a third line, bob is away").wait_for()
        read(bob, "random").wait_for()
        read(bob2, "random").wait_for()
        bob.page.get_by_test_id("channel-general").click()
        bob.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()

        # A reload of a session that did not read keeps what the server says is unread.
        # (Alice's page acks her own message: the server then has #random read for her too.)
        with alice.page.expect_response(
            lambda r: r.url.endswith("/ack") and r.request.method == "POST"
        ) as own_ack:
            send(alice, "a fourth line for the reload")
        assert own_ack.value.status == 200
        unread(bob2, "random").wait_for()
        # Only the server's marks: forget the ones this browser kept (parley.read.<user>).
        bob2.page.evaluate(
            "() => Object.keys(localStorage).filter((k) => k.startsWith('parley.read.'))"
            ".forEach((k) => localStorage.removeItem(k))"
        )
        bob2.page.reload()
        gateway_session(bob2)
        bob2.page.get_by_test_id("channel-random").wait_for()
        unread(bob2, "random").wait_for()
    finally:
        (artifacts / "e2e" / "real-last-bob2.log").write_text("\n".join(bob2.log))
        bob2.context.close()


def test_presence_online_then_offline_when_the_page_closes(
    ui_stack: StackProcess, people: tuple[Person, Person], chromium: Any, artifacts: Path
) -> None:
    """GUILD_CREATE `presences` and PRESENCE_UPDATE in Alice's member list."""
    alice, bob = people
    shots = artifacts / "e2e"
    member = alice.page.get_by_test_id("member-bob_e2e")
    member.and_(alice.page.locator("[data-status=online]")).wait_for()
    # Alice's own page, loaded fresh, learns Bob's status from GUILD_CREATE's presences.
    alice.page.reload()
    gateway_session(alice)
    member.and_(alice.page.locator("[data-status=online]")).wait_for()
    # (and #random, where she wrote last, is read: her page acked her own message)
    read(alice, "random").wait_for()
    alice.page.screenshot(path=str(shots / "real-presence-online.png"))
    # Bob's only page closes: his last connection goes, Alice sees him offline.
    bob.context.close()
    member.and_(alice.page.locator("[data-status=offline]")).wait_for()
    alice.page.screenshot(path=str(shots / "real-presence-offline.png"))
    # He signs in again: online again (the next test needs him).
    reopen(bob, chromium, ui_stack.info["http_url"])
    member.and_(alice.page.locator("[data-status=online]")).wait_for()


#: Packets received from one remote user on the page's voice connection (getStats inbound-rtp,
#: its MID mapped to a user through the node's `tracks`), or -1 while there are none.
INBOUND_FROM = """async (userName) => {
  const voice = window.__parleyVoice;
  if (!voice) return -1;
  const row = [...document.querySelectorAll('[data-testid^="voice-member-"]')]
    .find((el) => el.textContent.includes(userName));
  if (!row) return -1;
  const userId = row.dataset.testid.slice("voice-member-".length);
  let received = -1;
  (await voice.pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio"
        && voice.tracks[report.mid] === userId) received = report.packetsReceived;
  });
  return received;
}"""


def wait_for_audio_from(person: Person, other: str, more_than: int) -> int:
    """Wait until the page has received more than ``more_than`` packets from ``other``."""
    person.page.wait_for_function(
        f"async (name) => (await ({INBOUND_FROM})(name)) > {more_than}",
        arg=other,
        polling=250,
        timeout=TIMEOUT * 2,
    )
    return int(person.page.evaluate(INBOUND_FROM, other))


def test_voice_both_join_through_the_ui_and_hear_each_other(
    ui_stack: StackProcess, people: tuple[Person, Person], artifacts: Path
) -> None:
    """op 4 → VOICE_SERVER_UPDATE → the real media node's signalling → audio both ways."""
    alice, bob = people
    shots = artifacts / "e2e"
    for person in (alice, bob):
        person.page.get_by_test_id("voice-General").click()
        person.page.get_by_test_id("voice-status").filter(has_text="Voice connected").wait_for()
    for person in (alice, bob):
        for name in (alice.name, bob.name):
            person.page.locator('[data-testid^="voice-member-"]').filter(has_text=name).wait_for()
    # Each hears the other, and keeps hearing: the count grows.
    for person, other in ((alice, bob), (bob, alice)):
        first = wait_for_audio_from(person, other.name, 10)
        wait_for_audio_from(person, other.name, first + 25)
    alice.page.screenshot(path=str(shots / "real-voice.png"))
    bob.page.screenshot(path=str(shots / "real-voice-bob.png"))
    # Leaving empties the room for the other.
    bob.page.get_by_role("button", name="Leave voice").click()
    alice.page.locator('[data-testid^="voice-member-"]').filter(has_text=bob.name).wait_for(
        state="detached"
    )
