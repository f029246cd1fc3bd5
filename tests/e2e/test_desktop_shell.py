"""The desktop shell, offscreen: loads the UI, asks before the microphone, remembers state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from desktop.localui import StaticServer
from tests.e2e.conftest import run_desktop
from tests.e2e.fake_server import FakeServer, login_script
from tests.e2e.recording_server import RecordingServer
from tests.integration.stackproc import StackProcess

PASSWORD = "correct horse battery staple"

#: A fake capture device, so the request reaches the permission question on a machine without one.
FAKE_DEVICE = "--use-fake-device-for-media-stream"
MIC_PROBE = """
window.__mic = "pending";
navigator.mediaDevices.getUserMedia({ audio: true }).then(
  (stream) => { stream.getTracks().forEach((t) => t.stop()); window.__mic = "granted"; },
  (error) => { window.__mic = error.name; },
);
"""


def test_shell_loads_the_ui_offscreen_and_saves_a_screenshot(
    ui_dist: Path, artifacts: Path, tmp_path: Path
) -> None:
    """Against a static server serving the built UI: the login screen renders (a picture)."""
    static = StaticServer(ui_dist).start()
    try:
        shot = artifacts / "desktop" / "login.png"
        shot.unlink(missing_ok=True)
        result = run_desktop(
            {
                "server": static.url,
                "state_path": str(tmp_path / "desktop.json"),
                "screenshot": str(shot),
                "ready_selector": "[data-testid=login-name]",
            }
        )
    finally:
        static.stop()
    assert result["error"] is None
    assert result["loaded"] and result["ready"]
    assert shot.stat().st_size > 10_000  # a rendered page, not an empty PNG
    # The window geometry was remembered for next time.
    saved = json.loads((tmp_path / "desktop.json").read_text())
    assert saved["geometry"]["width"] >= 640
    assert saved["server"] == static.url  # `parley desktop` without --server goes back to it


def test_shell_asks_before_granting_the_microphone(ui_dist: Path, tmp_path: Path) -> None:
    """pywebview alone grants every page the microphone; the shell asks (here: answered no)."""
    result = run_desktop(
        {
            "server": "http://127.0.0.1:9",
            "local_ui": str(ui_dist),
            "state_path": str(tmp_path / "desktop.json"),
            "script": MIC_PROBE,
            "ready_js": "window.__mic !== undefined && window.__mic !== 'pending' && window.__mic",
            "answer": False,
        },
        chromium_flags=FAKE_DEVICE,
    )
    assert "--use-fake-ui-for-media-stream" not in result["flags"]
    assert "WebRtcHideLocalIpsWithMdns" in result["flags"]
    # Refused (QtWebEngine 6.12 reports a denied capture as AbortError, Chromium as
    # NotAllowedError); without the shell's hook pywebview would have answered "granted".
    assert result["probe"] in ("NotAllowedError", "AbortError")
    assert len(result["asked"]) == 1
    origin, what = result["asked"][0]
    assert origin.startswith("http://127.0.0.1:")
    assert what == "microphone"


def test_shell_grants_the_microphone_when_the_user_says_yes(ui_dist: Path, tmp_path: Path) -> None:
    result = run_desktop(
        {
            "server": "http://127.0.0.1:9",
            "local_ui": str(ui_dist),
            "state_path": str(tmp_path / "desktop.json"),
            "script": MIC_PROBE,
            "ready_js": "window.__mic !== undefined && window.__mic !== 'pending' && window.__mic",
            "answer": True,
        },
        chromium_flags=FAKE_DEVICE,
    )
    assert [what for _, what in result["asked"]] == ["microphone"]
    assert result["probe"] == "granted"


def test_shell_keeps_the_session_the_page_hands_it(ui_dist: Path, tmp_path: Path) -> None:
    """The UI stores its session through the shell's bridge; the next run hands it back."""
    state = tmp_path / "desktop.json"
    saved = run_desktop(
        {
            "server": "http://127.0.0.1:9",
            "local_ui": str(ui_dist),
            "state_path": str(state),
            "script": (
                "window.__saved = false; (async () => {"
                " await window.pywebview.api.save_session('{\"probe\":1}');"
                " window.__saved = true; })();"
            ),
            "ready_js": "window.__saved === true",
        }
    )
    assert saved["ready"], saved
    # Kept for the server it was saved on.
    assert json.loads(state.read_text())["sessions"] == {"http://127.0.0.1:9": '{"probe":1}'}
    again = run_desktop(
        {
            "server": "http://127.0.0.1:9",
            "local_ui": str(ui_dist),
            "state_path": str(state),
            "script": (
                "window.__got = null; window.pywebview.api.load_session()"
                ".then((s) => { window.__got = s; });"
            ),
            "ready_js": "window.__got",
        }
    )
    assert again["probe"] == '{"probe":1}'


def test_shell_logs_in_and_renders_a_channel(
    ui_dist: Path, artifacts: Path, tmp_path: Path
) -> None:
    """Against the scripted backend on loopback: sign in through the form, see #general."""
    server = FakeServer(ui_dist).start()
    try:
        shot = artifacts / "desktop" / "channel.png"
        shot.unlink(missing_ok=True)
        state = tmp_path / "desktop.json"
        result = run_desktop(
            {
                "server": server.http_url,
                "gateway": server.ws_url,
                "state_path": str(state),
                "script": login_script("alice", "correct horse"),
                "ready_js": (
                    "document.querySelector('[data-testid=channel-title]')?.textContent"
                    " === 'general' && document.querySelectorAll("
                    "'[data-testid=message-content]').length >= 3 && 'rendered'"
                ),
                "screenshot": str(shot),
            }
        )
    finally:
        server.stop()
    assert result["error"] is None, result
    assert result["probe"] == "rendered"
    assert ("POST", "/auth/login", {"login": "alice", "password": "correct horse"}) in (
        server.fake.requests
    )
    assert any(f["op"] == 2 for f in server.fake.gateway_frames)  # identified on the gateway
    assert shot.stat().st_size > 10_000
    # The session was handed to the shell, so the next start is signed in already.
    session = json.loads(json.loads(state.read_text())["sessions"][server.http_url])
    assert session["server"] == server.http_url
    assert session["user"]["username"] == "alice"
    assert session["tokens"]["refreshToken"] == "refresh-1"


def test_shell_logs_in_to_the_real_stack_and_renders_a_channel(
    ui_stack: StackProcess, artifacts: Path, tmp_path: Path
) -> None:
    """`parley desktop --server <the local stack>`: a user registered over the API signs in
    through the form, and #general renders with a message written before (a picture)."""
    http_url = ui_stack.info["http_url"]
    api = f"{http_url}/api/v1"
    registered = requests.post(
        f"{api}/auth/register",
        json={"username": "desk_user", "email": "desk_user@example.com", "password": PASSWORD},
        timeout=60,
    )
    assert registered.status_code == 201, registered.text
    bearer = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    guild = requests.post(f"{api}/guilds", json={"name": "Desk"}, headers=bearer, timeout=60)
    assert guild.status_code == 201, guild.text
    general = next(c for c in guild.json()["channels"] if c["type"] == 0)
    sent = requests.post(
        f"{api}/channels/{general['id']}/messages",
        json={"content": "written before the shell started"},
        headers=bearer,
        timeout=60,
    )
    assert sent.status_code in (200, 201), sent.text

    shot = artifacts / "desktop" / "real-channel.png"
    shot.unlink(missing_ok=True)
    state = tmp_path / "desktop.json"
    result = run_desktop(
        {
            "server": http_url,
            "state_path": str(state),
            "script": login_script("desk_user", PASSWORD),
            "ready_js": (
                "document.querySelector('[data-testid=channel-title]')?.textContent"
                " === 'general' && [...document.querySelectorAll("
                "'[data-testid=message-content]')].some((m) =>"
                " m.textContent.includes('written before the shell started')) && 'rendered'"
            ),
            "screenshot": str(shot),
            "timeout": 150,
        },
        timeout=240,
    )
    assert result["error"] is None, result
    assert result["probe"] == "rendered"
    assert shot.stat().st_size > 10_000
    session = json.loads(json.loads(state.read_text())["sessions"][http_url])
    assert session["user"]["username"] == "desk_user"
    assert json.loads(state.read_text())["server"] == http_url


def _choose_server_script(server: str) -> str:
    """JavaScript that opens the sign-in screen's connection dialog, types a server and clicks
    Connect, as a person would (React inputs)."""
    return (
        "(async () => {"
        " const wait = async (find) => { for (let i = 0; i < 600; i++) {"
        "   const el = find(); if (el) return el;"
        "   await new Promise((r) => setTimeout(r, 50)); } throw new Error(String(find)); };"
        " const button = (text) => () => [...document.querySelectorAll('button')]"
        "   .find((b) => b.textContent.trim() === text);"
        " (await wait(button('change'))).click();"
        " const input = await wait("
        "   () => document.querySelector('[data-testid=connection-server]'));"
        " Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')"
        f"   .set.call(input, {json.dumps(server)});"
        " input.dispatchEvent(new Event('input', { bubbles: true }));"
        " (await wait(button('Connect'))).click();"
        "})();"
    )


def _choose_in_the_dialog(
    first: str, target: str, tmp_path: Path, ready_js: str, confirm: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the shell on ``first``, pick ``target`` in the page's connection dialog, let the user
    answer ``confirm``; the shell's result and the state it saved."""
    state = tmp_path / "desktop.json"
    result = run_desktop(
        {
            "server": first,
            "state_path": str(state),
            "script": _choose_server_script(target),
            "ready_js": ready_js,
            "confirm_server": confirm,
        }
    )
    saved: dict[str, Any] = json.loads(state.read_text())
    return result, saved


def test_a_server_chosen_in_the_connection_dialog_is_not_used_unless_confirmed(
    ui_dist: Path, tmp_path: Path
) -> None:
    """The page asks the shell for another server; the user says no: the shell stays, and the
    other server hears nothing from it."""
    first = StaticServer(ui_dist).start()
    other = RecordingServer().start()
    try:
        declined = "document.body.textContent.includes('Not changed') && 'declined'"
        result, saved = _choose_in_the_dialog(first.url, other.url, tmp_path, declined, False)
    finally:
        first.stop()
        other.stop()
    assert result["probe"] == "declined", result
    assert result["servers_asked"] == [[other.url, None]]
    assert other.requests == []
    assert saved["server"] == first.url


def test_a_server_chosen_in_the_connection_dialog_is_opened_once_confirmed(
    ui_dist: Path, tmp_path: Path
) -> None:
    first = StaticServer(ui_dist).start()
    chosen = StaticServer(ui_dist).start()
    switched = (
        f"location.origin === {json.dumps(chosen.url)}"
        " && document.querySelector('[data-testid=login-name]') !== null"
        " && document.body.textContent.includes('Server: ' + location.origin)"
        " && 'switched'"
    )
    try:
        result, saved = _choose_in_the_dialog(first.url, chosen.url, tmp_path, switched, True)
    finally:
        first.stop()
        chosen.stop()
    assert result["probe"] == "switched", result
    assert result["servers_asked"] == [[chosen.url, None]]
    assert result["url"] == f"{chosen.url}/"
    assert saved["server"] == chosen.url
