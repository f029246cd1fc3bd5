"""Desktop notifications from the shell: the page calls the bridge's ``notify(title, body)``.

QtWebEngine shows no web notifications by itself (the page's ``Notification`` API would need a
presenter), so the shell shows them natively through a system tray icon's balloon message
(``QSystemTrayIcon.showMessage``: the freedesktop notification service on Linux, toasts on
Windows, Notification Center on macOS). Where there is no tray (a bare X server, offscreen),
the window asks for attention instead (``QApplication.alert``: a flashing taskbar entry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_BODY", "MAX_TITLE", "Notify", "QtNotifier", "clip"]

log = logging.getLogger("parley.desktop")

#: (title, body) -> shown as a notification (False: only the window's attention was asked).
Notify = Callable[[str, str], bool]

#: What a notification may hold: the page is not trusted to size native widgets.
MAX_TITLE = 120
MAX_BODY = 300


def clip(text: object, limit: int) -> str:
    """``text`` as a string of at most ``limit`` characters (an ellipsis marks a cut)."""
    value = str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


class QtNotifier:
    """Shows notifications through one tray icon, made on first use (on the GUI thread)."""

    def __init__(self, window: Callable[[], Any] | None = None) -> None:
        #: The QWidget whose taskbar entry is flashed when there is no tray.
        self._window = window
        self._tray: Any = None

    def __call__(self, title: str, body: str) -> bool:
        from qtpy.QtWidgets import QApplication, QSystemTrayIcon

        if not QSystemTrayIcon.isSystemTrayAvailable():
            widget = self._window() if self._window else None
            if widget is not None:
                QApplication.alert(widget)
            log.info("no system tray: asked for attention instead of notifying")
            return False
        if self._tray is None:
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else None
            self._tray = QSystemTrayIcon(icon) if icon is not None else QSystemTrayIcon()
            self._tray.show()
        self._tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 6000)
        return True
