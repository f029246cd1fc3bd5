"""End-to-end tests: the built UI in real browser engines (Debian's Chromium via Playwright, and
the desktop shell's QtWebEngine offscreen). Screenshots go to ``test-artifacts/`` (gitignored)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.stackproc import REPO_ROOT, StackProcess

UI_DIST = REPO_ROOT / "desktop" / "ui" / "dist"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
#: FINDINGS.md, "Real browsers": what Debian's Chromium needs to run headless here, with fake
#: media devices so voice can be exercised without a microphone.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    # No --allow-loopback-in-peer-connection: a user's browser has none, and the local media
    # node offers the machine's other addresses too (docs/voice.md, "The local stack").
]


@pytest.fixture(scope="session")
def ui_dist() -> Path:
    """The built UI; `make test` builds it first (`make ui`)."""
    assert (UI_DIST / "index.html").is_file(), (
        f"no built UI in {UI_DIST}: run `make ui` (npm run build in desktop/ui) first"
    )
    return UI_DIST


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def ui_stack(tmp_path_factory: pytest.TempPathFactory, ui_dist: Path) -> Iterator[StackProcess]:
    """The real template served by `parley dev`, with the built UI at `/`."""
    stack = StackProcess(tmp_path_factory.mktemp("e2e"), extra_args=["--no-reload", "--no-warm"])
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`).

    Module-scoped on purpose: Playwright's sync API runs an event loop in the main thread while
    it is open, and pytest-asyncio's tests in later modules cannot start theirs until it stops.
    """
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: `make install` installs it (apt)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=False, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def run_desktop(
    spec: dict[str, Any], timeout: float = 120.0, chromium_flags: str = ""
) -> dict[str, Any]:
    """Run the desktop shell once in its own process; its result as a dict."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"}
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = chromium_flags
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.desktop_harness", json.dumps(spec)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, (
        f"desktop shell failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    result: dict[str, Any] = json.loads(lines[-1])
    return result
