"""``parley desktop``: the Parley UI in a native window (pywebview on PySide6's QtWebEngine).

It loads the UI from the server (the emulator serves it at ``/``) or from a local build
(``--local-ui``), remembers the window geometry and the session in a JSON file in the user's
config directory, asks before a page gets the microphone, and sets the Chromium flags QtWebEngine
needs. ``--screenshot`` + ``--exit-after-load`` make it a test harness: it waits for the page to
render, saves a picture and exits, offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.connection import ConfirmServer, ServerChoice, origin, qt_confirm_server
from desktop.flags import FLAGS_ENV, MEDIA_AUTO_GRANT, chromium_flags
from desktop.localui import StaticServer
from desktop.notify import MAX_BODY, MAX_TITLE, Notify, QtNotifier, clip
from desktop.permissions import MediaPermissionPolicy, install, qt_ask
from desktop.state import ShellState, default_state_path

__all__ = ["ShellOptions", "ShellResult", "run"]

log = logging.getLogger("parley.desktop")

REPO_UI_DIST = Path(__file__).resolve().parent / "ui" / "dist"
DEFAULT_SERVER = "http://127.0.0.1:3000"


@dataclass
class ShellOptions:
    """How one run of the shell behaves."""

    #: The server's HTTP origin; None: the one used last, else the local stack.
    server: str | None = None
    #: Serve this built UI locally instead of loading it from the server.
    local_ui: Path | None = None
    #: Explicit gateway URL for the page (else it asks the server or derives it).
    gateway: str | None = None
    state_path: Path = field(default_factory=default_state_path)
    #: Save a PNG of the window once ``ready_selector`` is on the page.
    screenshot: Path | None = None
    ready_selector: str = "#root > *"
    #: A JavaScript expression that is truthy once the page is ready (overrides the selector).
    ready_js: str | None = None
    exit_after_load: bool = False
    timeout_s: float = 60.0
    #: Who answers "may this page use the microphone?" (a Qt dialog by default).
    ask: Callable[[str, str], bool] = qt_ask
    #: Who answers "connect to this server?" when the page's connection dialog asks for one.
    confirm_server: ConfirmServer = qt_confirm_server
    #: Extra JavaScript run once the page is ready (tests: log in, open a channel, ...).
    script: str | None = None
    #: Who shows a desktop notification the page asks for (None: the tray icon's balloon).
    notify: Notify | None = None


@dataclass
class ShellResult:
    loaded: bool = False
    ready: bool = False
    screenshot: Path | None = None
    error: str | None = None
    url: str = ""
    #: What the readiness probe answered.
    probe: Any = None


class Bridge:
    """The page's view of the shell (``window.pywebview.api``): the server it talks to, the
    session kept for that server, the connection dialog's way to ask for another server, and
    desktop notifications."""

    def __init__(
        self,
        state: ShellState,
        path: Path,
        confirm: ConfirmServer,
        switch: Callable[[ServerChoice], None],
        notify: Notify | None = None,
    ) -> None:
        # Private names only: pywebview hands the page every public attribute.
        self._state = state
        self._path = path
        self._confirm = confirm
        self._switch = switch
        self._notify = notify
        self._lock = threading.Lock()

    def notify(self, title: str, body: str = "") -> bool:
        """Show a desktop notification (the page decided it is wanted); False when none could
        be shown. Never raises into the page: a notification lost is not an error to it."""
        if self._notify is None:
            return False
        try:
            return bool(self._notify(clip(title, MAX_TITLE), clip(body, MAX_BODY)))
        except Exception:
            log.exception("the notification could not be shown")
            return False

    def _server(self) -> str:
        return self._state.server or DEFAULT_SERVER

    def connection(self) -> dict[str, str | None]:
        """The server the page must use: the one given on the command line or confirmed."""
        return {"server": self._server(), "gateway": self._state.gateway}

    def load_session(self) -> str | None:
        """The session saved for the current server only."""
        return self._state.sessions.get(self._server())

    def save_session(self, session: str | None) -> None:
        with self._lock:
            if session is None:
                self._state.sessions.pop(self._server(), None)
            else:
                self._state.sessions[self._server()] = session
            self._state.save(self._path)

    def choose_server(self, server: str, gateway: str | None = None) -> bool:
        """The page asks for another server: only if the user confirms it (a native dialog the
        page cannot answer) is it remembered and opened; True then."""
        try:
            choice = ServerChoice(str(server), str(gateway) if gateway else None)
        except ValueError:
            log.warning("the page asked for a server that is not a URL: %r", server)
            return False
        if not self._confirm(choice.server, choice.gateway):
            return False
        with self._lock:
            self._state.server, self._state.gateway = choice.server, choice.gateway
            self._state.save(self._path)
        self._switch(choice)
        return True


def prepare_environment() -> None:
    """Qt and Chromium settings that must be in place before Qt starts."""
    os.environ.setdefault("QT_API", "pyside6")
    os.environ[FLAGS_ENV] = chromium_flags(os.environ.get(FLAGS_ENV, ""))


def _keep_media_prompt(qt_module: Any) -> None:
    """pywebview's Qt backend appends ``--use-fake-ui-for-media-stream`` (grant every page the
    microphone without asking) right before it creates the profile. Filter it out of that one
    call site, so QtWebEngine asks the page's permission handler, which asks the user."""
    original = getattr(qt_module, "environ_append", None)
    if original is None:
        raise RuntimeError("pywebview.platforms.qt.environ_append is gone: re-check the pin")
    if vars(qt_module).get("_parley_keeps_media_prompt"):
        return

    def environ_append(key: str, *values: str, sep: str = " ") -> None:
        kept = [v for v in values if not (key == FLAGS_ENV and v == MEDIA_AUTO_GRANT)]
        if kept:
            original(key, *kept, sep=sep)

    qt_module.environ_append = environ_append
    vars(qt_module)["_parley_keeps_media_prompt"] = True


def server_reachable(server: str, timeout_s: float = 2.0) -> bool:
    """Does anything answer HTTP at the server's origin (any status counts)?"""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout_s)
    try:
        connection.request("HEAD", "/")
        connection.getresponse()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def choose_local_ui(
    options: ShellOptions, reachable: Callable[[str], bool], bundled: Path = REPO_UI_DIST
) -> Path | None:
    """The UI build to serve locally, if any.

    Asked for explicitly, it is used. Otherwise the server serves the UI, unless it cannot be
    reached: then a bundled build (if there is one) is shown instead, so the user sees the sign-in
    screen saying the server is away (and can change it) rather than a blank window.
    """
    if options.local_ui is not None:
        return options.local_ui
    server = options.server or DEFAULT_SERVER
    if (bundled / "index.html").is_file() and not reachable(server):
        log.warning("%s does not answer; showing the bundled UI", server)
        return bundled
    return None


def page_url(options: ShellOptions, local_origin: str | None) -> str:
    """The URL the window opens: the server's own UI, or the local one. Neither names the
    server in its address: the page asks the bridge (``connection``), so no link can."""
    server = (options.server or DEFAULT_SERVER).rstrip("/")
    return (local_origin or server) + "/"


def run(options: ShellOptions) -> ShellResult:
    """Open the window and run Qt's loop until it closes (or, in harness mode, until done)."""
    prepare_environment()
    import webview
    import webview.platforms.qt as qt_platform
    from qtpy.QtCore import QObject, Signal

    _keep_media_prompt(qt_platform)

    class Invoker(QObject):
        """Runs callables on the GUI thread (Qt widgets may only be touched there)."""

        call = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.call.connect(lambda fn: fn())

    state = ShellState.load(options.state_path)
    if options.server is None:
        options.server = state.server or DEFAULT_SERVER
        options.gateway = options.gateway or state.gateway
    state.server = origin(options.server) or options.server
    state.gateway = options.gateway
    # Both run later, from the page's calls, once the window and the GUI invoker exist.
    bridge = Bridge(
        state,
        options.state_path,
        confirm=lambda s, g: on_gui(lambda: options.confirm_server(s, g), None),
        switch=lambda choice: switch(choice),
        notify=lambda title, body: on_gui(lambda: notifier(title, body)),
    )
    result = ShellResult()
    local_ui = choose_local_ui(options, server_reachable)
    static = StaticServer(local_ui).start() if local_ui else None
    result.url = page_url(options, static.url if static else None)
    geo = state.geometry
    window = webview.create_window(
        "Parley",
        result.url,
        js_api=bridge,
        width=geo.width,
        height=geo.height,
        x=geo.x,
        y=geo.y,
        min_size=(640, 480),
        background_color="#313338",
    )
    if window is None:
        raise RuntimeError("pywebview did not create a window")
    shown = window
    notifier: Notify = options.notify or QtNotifier(lambda: shown.native)
    policy = MediaPermissionPolicy(ask=options.ask)
    invoker = Invoker()
    loaded = threading.Event()

    def on_resized(width: int, height: int) -> None:
        state.geometry.width, state.geometry.height = width, height

    def on_moved(x: int, y: int) -> None:
        state.geometry.x, state.geometry.y = x, y

    def on_before_show() -> None:
        install(_view(window).page(), policy)

    def on_closing() -> None:
        state.save(options.state_path)

    window.events.resized += on_resized
    window.events.moved += on_moved
    window.events.before_show += on_before_show
    window.events.closing += on_closing
    window.events.loaded += loaded.set

    def switch(choice: ServerChoice) -> None:
        """Open a server the user confirmed: its own UI, or the local one (which asks the
        bridge for the server again)."""
        nonlocal static
        options.server, options.gateway = choice.server, choice.gateway
        if static is None and (local := choose_local_ui(options, server_reachable)):
            static = StaticServer(local).start()
        result.url = page_url(options, static.url if static else None)
        window.load_url(result.url)

    def on_gui(fn: Callable[[], Any], timeout_s: float | None = options.timeout_s) -> Any:
        """Run ``fn`` on the GUI thread and wait for its answer (``None``: as long as it
        takes, for a question to the user)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                box["value"] = fn()
            except Exception as exc:
                box["error"] = exc
            finally:
                done.set()

        invoker.call.emit(call)
        if not done.wait(timeout_s):
            raise TimeoutError("the GUI thread did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def harness() -> None:
        try:
            deadline = time.monotonic() + options.timeout_s
            if not loaded.wait(options.timeout_s):
                result.error = f"the page did not load within {options.timeout_s:g} s"
                return
            result.loaded = True
            probe = (
                options.ready_js
                or f"document.querySelector({_js_string(options.ready_selector)}) !== null"
            )
            if options.script:
                window.evaluate_js(options.script)
            while time.monotonic() < deadline:
                value = window.evaluate_js(probe)
                if value:
                    result.ready = True
                    result.probe = value
                    break
                time.sleep(0.1)
            if not result.ready:
                result.error = f"the page never became ready ({probe}) on {result.url}"
            if options.screenshot is not None:
                time.sleep(0.5)  # let animations (Framer Motion, ≤ 0.3 s) settle
                options.screenshot.parent.mkdir(parents=True, exist_ok=True)
                path = str(options.screenshot)
                if on_gui(lambda: _view(window).grab().save(path, "PNG")):
                    result.screenshot = options.screenshot
                else:
                    result.error = result.error or "the screenshot could not be saved"
        except Exception as exc:
            log.exception("desktop harness failed")
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            if options.exit_after_load:
                window.destroy()

    worker = harness if (options.exit_after_load or options.screenshot) else None
    storage = options.state_path.parent / "webengine"
    try:
        webview.start(worker, gui="qt", private_mode=False, storage_path=str(storage))
    finally:
        state.save(options.state_path)
        if static is not None:
            static.stop()
    return result


def _view(window: Any) -> Any:
    """The window's QWebEngineView (pywebview's Qt backend: ``native`` is its QMainWindow)."""
    native = window.native
    if native is None:
        raise RuntimeError("the window has no native view yet")
    return native.webview


def _js_string(text: str) -> str:
    import json

    return json.dumps(text)
