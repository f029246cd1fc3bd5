"""The UI's flows in Debian's Chromium against a scripted backend (tests/e2e/fake_backend.py).

Login, history, sending (Enter), editing (Up, Esc, Enter), reactions, an upload, unread markers,
typing, a gateway cut followed by RESUME and replay, and joining voice (op 4, then the media
node's signalling). Screenshots of the main screens go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from desktop.localui import StaticServer
from tests.e2e.fake_backend import BOB, GATEWAY_URL, GENERAL, GUILD_ID, ME, RANDOM, FakeBackend

TIMEOUT = 15_000


@pytest.fixture
def ui(ui_dist: Path, chromium: Any) -> Iterator[tuple[Any, FakeBackend]]:
    static = StaticServer(ui_dist).start()
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    fake = FakeBackend()
    fake.install(page)
    page.goto(f"{static.url}/?gateway={quote(GATEWAY_URL, safe='')}")
    try:
        yield page, fake
    finally:
        context.close()
        static.stop()


def sign_in(page: Any) -> None:
    page.get_by_test_id("login-name").fill("alice")
    page.get_by_test_id("login-password").fill("correct horse")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("guild-name").filter(has_text="Parley HQ").wait_for()
    page.get_by_test_id("channel-title").filter(has_text="general").wait_for()


def shown(page: Any, text: str) -> Any:
    """A message whose text contains ``text``."""
    return page.get_by_test_id("message-content").filter(has_text=text)


def messages(page: Any) -> list[str]:
    return page.get_by_test_id("message-content").all_inner_texts()


def wait_until(page: Any, predicate: Any, what: str) -> None:
    for _ in range(150):
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def test_login_errors_are_shown_in_words_then_sign_in_works(ui: Any, artifacts: Path) -> None:
    page, fake = ui
    page.get_by_role("button", name="Sign in with GitHub").wait_for()
    page.screenshot(path=str(artifacts / "e2e" / "scripted-login.png"))
    page.get_by_test_id("login-name").fill("alice")
    page.get_by_test_id("login-password").fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("alert").filter(has_text="Wrong username or password.").wait_for()
    page.get_by_test_id("login-password").fill("correct horse")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
    identify = next(f for f in fake.gateway_frames if f["op"] == 2)
    assert identify["d"]["token"] == "access-1"
    assert fake.gateway_urls[0].endswith("?token=access-1")
    assert ("POST", "/auth/login", {"login": "alice", "password": "correct horse"}) in fake.requests


def test_messages_send_edit_react_upload_and_typing(ui: Any, artifacts: Path) -> None:
    page, fake = ui
    sign_in(page)
    shown(page, "The voice channel works too").wait_for()
    # The mention of us is highlighted.
    assert page.locator("[data-mentioned=true]").count() == 1
    composer = page.get_by_test_id("composer")
    composer.fill("first line")
    composer.press("Shift+Enter")
    composer.type("second line")
    composer.press("Enter")
    shown(page, "second line").wait_for()
    sent = [b for m, p, b in fake.requests if m == "POST" and p == f"/channels/{GENERAL}/messages"]
    assert sent == [{"content": "first line\nsecond line"}]
    # Our REST answer and the gateway's MESSAGE_CREATE are one message.
    assert sum("second line" in text for text in messages(page)) == 1

    # Up edits our last message; Esc cancels; Enter saves.
    composer.press("ArrowUp")
    editor = page.get_by_label("Edit message")
    editor.wait_for()
    editor.press("Escape")
    editor.wait_for(state="detached")
    composer.press("ArrowUp")
    editor.fill("edited words")
    editor.press("Enter")
    page.get_by_test_id("edited").first.wait_for()
    assert any(text.startswith("edited words") for text in messages(page))

    # A reaction from the toolbar, counted once although the gateway echoes it.
    last = page.get_by_test_id("message").last
    last.hover()
    page.get_by_role("button", name="Add reaction").click()
    page.get_by_role("button", name="React with 👍").click()
    reaction = page.get_by_test_id("reaction").filter(has_text="👍")
    reaction.wait_for()
    wait_until(page, lambda: any(f[1] == "MESSAGE_REACTION_ADD" for f in fake.log), "the echo")
    page.wait_for_timeout(200)
    assert reaction.inner_text().strip() == "👍 1"

    # An attachment: presigned slot, upload, then the message refers to it.
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"}]
    )
    page.get_by_test_id("pending-upload").wait_for()
    composer.fill("here are my notes")
    composer.press("Enter")
    page.get_by_test_id("attachment").filter(has_text="notes.txt").wait_for()
    slots = [b for m, p, b in fake.requests if p == f"/channels/{GENERAL}/attachments"]
    assert slots == [
        {
            "files": [
                {"id": "0", "filename": "notes.txt", "file_size": 2, "content_type": "text/plain"}
            ]
        }
    ]

    # Someone else typing.
    fake.dispatch(
        "TYPING_START", {"channel_id": GENERAL, "guild_id": GUILD_ID, "user_id": BOB["id"]}
    )
    page.get_by_test_id("typing").filter(has_text="Bob is typing").wait_for()
    page.screenshot(path=str(artifacts / "e2e" / "scripted-channel.png"))


def test_unread_markers_appear_and_clear(ui: Any) -> None:
    page, fake = ui
    sign_in(page)
    random = page.get_by_test_id("channel-random")
    # #random has a message we never read; #general was read (READY's read_state).
    assert random.get_attribute("data-unread") == "true"
    assert page.get_by_test_id("channel-general").get_attribute("data-unread") is None
    random.click()
    shown(page, "random thoughts").wait_for()
    wait_until(page, lambda: random.get_attribute("data-unread") is None, "#random read")
    # A new message in #general while we read #random: unread, with our mention counted.
    page_general = page.get_by_test_id("channel-general")
    fake.dispatch(
        "MESSAGE_CREATE",
        {
            "id": "6000000000000000000",
            "channel_id": GENERAL,
            "guild_id": GUILD_ID,
            "author": BOB,
            "content": f"ping <@{ME['id']}>",
            "timestamp": "2026-11-24T12:10:00Z",
            "edited_timestamp": None,
            "reactions": [],
            "mentions": [ME],
        },
    )
    wait_until(page, lambda: page_general.get_attribute("data-unread") == "true", "unread")
    assert "1 mentions" in (page_general.get_attribute("aria-label") or "")
    page_general.click()
    shown(page, "ping @Alice").wait_for()
    wait_until(page, lambda: page_general.get_attribute("data-unread") is None, "read again")
    assert "mentions" not in (page_general.get_attribute("aria-label") or "")
    assert RANDOM  # the channel ids come from the fake's guild


def test_server_read_state_message_ack_and_acks_sent(ui: Any) -> None:
    """What the UI does with the server's read state (READY's read_state, MESSAGE_ACK and
    POST …/ack): marks from another device clear a channel, reading acks."""
    page, fake = ui
    sign_in(page)
    unread = '[data-testid="channel-random"][data-unread="true"]'
    read = '[data-testid="channel-random"]:not([data-unread])'
    page.locator(unread).wait_for()  # READY's read_state has #random unread
    # Read on another device: the server sends MESSAGE_ACK and the marker goes, unclicked.
    newest = fake.messages[RANDOM][-1]["id"]
    fake.dispatch("MESSAGE_ACK", {"channel_id": RANDOM, "message_id": newest})
    page.locator(read).wait_for()
    # A new message there: unread again; opening the channel acks it to the server.
    fresh = {
        "id": "6200000000000000000",
        "channel_id": RANDOM,
        "guild_id": GUILD_ID,
        "author": BOB,
        "content": "one more random thought",
        "timestamp": "2026-11-24T12:12:00Z",
        "edited_timestamp": None,
        "reactions": [],
    }
    fake.messages[RANDOM].append(fresh)
    fake.dispatch("MESSAGE_CREATE", fresh)
    page.locator(unread).wait_for()
    page.get_by_test_id("channel-random").click()
    shown(page, "one more random thought").wait_for()
    page.locator(read).wait_for()
    ack = ("POST", f"/channels/{RANDOM}/messages/{fresh['id']}/ack", {})
    wait_until(page, lambda: ack in fake.requests, "the ack of the newest message")


def test_gateway_cut_resumes_and_replays_missed_events(ui: Any) -> None:
    page, fake = ui
    sign_in(page)
    seq_before = fake.seq
    fake.cut_gateway()
    page.get_by_role("status").filter(has_text="Reconnecting").wait_for()
    # Sent while the client was away: replayed on RESUME.
    fake.log.append(
        (
            fake.seq + 1,
            "MESSAGE_CREATE",
            {
                "id": "6100000000000000000",
                "channel_id": GENERAL,
                "guild_id": GUILD_ID,
                "author": BOB,
                "content": "you missed this",
                "timestamp": "2026-11-24T12:11:00Z",
                "edited_timestamp": None,
                "reactions": [],
            },
        )
    )
    fake.seq += 1
    shown(page, "you missed this").wait_for(timeout=20_000)
    resume = [f for f in fake.gateway_frames if f["op"] == 6]
    assert resume == [
        {"op": 6, "d": {"token": "access-1", "session_id": "sess-1", "seq": seq_before}}
    ]
    page.get_by_role("status").wait_for(state="detached")


def test_voice_join_signals_the_media_node_and_shows_speaking(ui: Any, artifacts: Path) -> None:
    page, fake = ui
    sign_in(page)
    bob = page.get_by_test_id(f"voice-member-{BOB['id']}")
    bob.wait_for()  # who is in the voice channel, without joining
    page.get_by_test_id("voice-General").click()
    page.get_by_test_id(f"voice-member-{ME['id']}").wait_for()
    voice = [f["d"] for f in fake.gateway_frames if f["op"] == 4]
    assert voice[0] == {
        "guild_id": GUILD_ID,
        "channel_id": "11",
        "self_mute": False,
        "self_deaf": False,
    }
    wait_until(page, lambda: any(f.get("op") == "offer" for f in fake.media_frames), "an SDP offer")
    offer = next(f for f in fake.media_frames if f["op"] == "offer")
    assert "m=audio" in offer["sdp"]
    assert fake.media_urls[0].endswith("?token=voice-token")
    fake.media.send(json.dumps({"op": "speaking", "user_id": BOB["id"], "speaking": True}))
    wait_until(page, lambda: bob.get_attribute("data-speaking") == "true", "Bob speaking")
    # Mute goes to the gateway as a voice state update.
    page.get_by_role("button", name="Mute", exact=True).click()
    wait_until(
        page, lambda: any(f["op"] == 4 and f["d"]["self_mute"] for f in fake.gateway_frames), "mute"
    )
    page.screenshot(path=str(artifacts / "e2e" / "scripted-voice.png"))
    page.get_by_role("button", name="Leave voice").click()
    wait_until(
        page,
        lambda: (
            fake.gateway_frames[-1]["op"] == 4
            and fake.gateway_frames[-1]["d"]["channel_id"] is None
        ),
        "leave",
    )


def test_settings_screens(ui: Any, artifacts: Path) -> None:
    page, fake = ui
    sign_in(page)
    page.get_by_role("button", name="Server settings").click()
    page.get_by_role("tab", name="Channels").click()
    page.get_by_label("Rename general", exact=True).wait_for()
    page.screenshot(path=str(artifacts / "e2e" / "scripted-guild-settings.png"))
    page.get_by_role("tab", name="Bans").click()
    page.get_by_text("Nobody is banned.").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="User settings").click()
    page.get_by_role("tab", name="Voice & audio").click()
    page.get_by_label("Input device").wait_for()
    page.screenshot(path=str(artifacts / "e2e" / "scripted-user-settings.png"))
    assert ("GET", f"/guilds/{GUILD_ID}/bans", {}) in fake.requests


def test_history_loads_as_you_scroll_up(ui: Any) -> None:
    page, fake = ui
    history = fake.messages[RANDOM]
    for n in range(120):
        history.insert(
            0,
            {
                **history[0],
                "id": str(4_000_000_000_000_000_000 + n * 1_000_000),
                "content": f"old message {n:03d}",
            },
        )
    history.sort(key=lambda m: int(m["id"]))
    sign_in(page)
    page.get_by_test_id("channel-random").click()
    shown(page, "random thoughts").wait_for()
    for _ in range(3):
        page.get_by_test_id("message-list").evaluate("el => { el.scrollTop = 0; }")
        page.wait_for_timeout(300)
    shown(page, "old message 000").wait_for()
    gets = [
        (m, b) for m, p, b in fake.requests if p == f"/channels/{RANDOM}/messages" and m == "GET"
    ]
    # The first page, then pages before the oldest message shown, newest first, 50 at a time.
    assert gets[0][1] == {"limit": ["50"]}
    assert len(gets) == 3
    oldest_first_page = fake.messages[RANDOM][-50]["id"]
    assert gets[1][1] == {"limit": ["50"], "before": [oldest_first_page]}
    assert page.get_by_test_id("message").count() == 121


def test_an_invite_link_opens_the_join_dialog_and_joins(ui: Any) -> None:
    page, fake = ui
    sign_in(page)
    page.goto(page.url + "&invite=wrong-code")
    field = page.get_by_test_id("add-guild-input")
    assert field.input_value() == "wrong-code"
    page.get_by_role("button", name="Join", exact=True).click()
    page.get_by_text("That invite is invalid or has expired.").wait_for()
    field.fill("http://example.test/?invite=join-us")
    page.get_by_role("button", name="Join", exact=True).click()
    page.get_by_test_id("guild-name").filter(has_text="Book Club").wait_for()
    assert ("POST", "/invites/join-us", None) in fake.requests
    assert "invite=" not in page.url
