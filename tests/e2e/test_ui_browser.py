"""The built UI served by the real emulator (`parley dev`), in Debian's Chromium.

The page served at `/` by the stack, talking to its API; the two-user scenario on the same
stack is tests/e2e/test_full_stack.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.integration.stackproc import StackProcess


def test_stack_serves_the_ui_and_it_shows_the_login_screen(
    ui_stack: StackProcess, chromium: Any, artifacts: Path
) -> None:
    http_url = ui_stack.info["http_url"]
    ws_url = ui_stack.info["ws_url"]
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/v1/" in r.url else None)
    try:
        page.goto(f"{http_url}/?gateway={quote(ws_url, safe='')}")
        page.get_by_test_id("login-name").wait_for(state="visible", timeout=30_000)
        page.get_by_role("tab", name="Register").wait_for(state="visible")
        # Same origin by default: the page asks the stack it came from.
        assert any(url.startswith(f"{http_url}/api/v1/") for url in api_calls), api_calls
        # A link's gateway is not the page's to follow, nor to remember (docs/client.md).
        page.get_by_text("was ignored", exact=False).first.wait_for(state="visible")
        assert page.evaluate("Object.keys(localStorage)") == []
        page.screenshot(path=str(artifacts / "e2e" / "login.png"))
    finally:
        context.close()
    assert (artifacts / "e2e" / "login.png").stat().st_size > 10_000
