"""The desktop shell (QtWebEngine, offscreen) joins voice on the real local stack.

QtWebEngine is a Chromium: like a user's browser it gathers no loopback candidate unless told
(the shell passes ``--allow-loopback-in-peer-connection``), and the local node answers on the
machine's other addresses too. The microphone is the fake device; the shell asks before
granting it, and the user (the harness) says yes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import run_desktop
from tests.e2e.fake_server import login_script
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"

JOIN_VOICE = """
(async () => {
  for (let i = 0; i < 2400; i++) {
    const channel = document.querySelector('[data-testid=voice-General]');
    if (channel) { channel.click(); return; }
    await new Promise((r) => setTimeout(r, 50));
  }
})();
"""


def test_the_desktop_shell_joins_voice_on_the_local_stack(
    ui_stack: StackProcess, tmp_path: Path, artifacts: Path
) -> None:
    api = f"{ui_stack.info['http_url']}/api/v1"
    registered = requests.post(
        f"{api}/auth/register",
        json={"username": "desk_voice", "email": "desk_voice@example.com", "password": PASSWORD},
        timeout=60,
    )
    assert registered.status_code == 201, registered.text
    bearer = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    guild = requests.post(f"{api}/guilds", json={"name": "Desk"}, headers=bearer, timeout=60)
    assert guild.status_code == 201, guild.text

    result = run_desktop(
        {
            "server": ui_stack.info["http_url"],
            "state_path": str(tmp_path / "desktop.json"),
            "script": login_script("desk_voice", PASSWORD) + JOIN_VOICE,
            "ready_js": (
                "document.querySelector('[data-testid=voice-status]')?.textContent"
                " === 'Voice connected' && 'connected'"
            ),
            "screenshot": str(artifacts / "desktop" / "real-voice.png"),
            "answer": True,
            "timeout": 150,
        },
        timeout=240,
        chromium_flags="--use-fake-device-for-media-stream",
    )
    assert result["error"] is None, result
    assert result["probe"] == "connected"
    assert [what for _, what in result["asked"]] == ["microphone"]
