"""Which server the desktop shell talks to, and the user's say in changing it.

The page may only *ask*: the UI's connection dialog hands the shell a server (and optionally a
gateway URL) through the bridge; the shell asks the user in a native dialog the page cannot
answer for, and only a confirmed choice is remembered and opened. Each server keeps its own
session (``ShellState.sessions``, keyed by :func:`origin`), so tokens saved for one server are
never handed to a page of another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ConfirmServer", "ServerChoice", "origin", "qt_confirm_server"]

#: Asked before the shell switches to a server: (server origin, gateway URL or None) → yes?
ConfirmServer = Callable[[str, str | None], bool]


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-case; None for anything else (another
    scheme, no host, credentials in it, a bad port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}".lower()


@dataclass(frozen=True)
class ServerChoice:
    """A server the page asked for: an http(s) origin and an optional ws(s) gateway URL."""

    server: str
    gateway: str | None = None

    def __post_init__(self) -> None:
        server = origin(self.server)
        if server is None:
            raise ValueError(f"not an http(s) origin: {self.server!r}")
        object.__setattr__(self, "server", server)
        if self.gateway is not None:
            parts = urlsplit(self.gateway)
            if parts.scheme not in ("ws", "wss") or not parts.hostname or "@" in parts.netloc:
                raise ValueError(f"not a ws(s) URL: {self.gateway!r}")


def qt_confirm_server(server: str, gateway: str | None) -> bool:
    """The question as a Qt dialog (modal; on the GUI thread), No by default."""
    from qtpy.QtWidgets import QMessageBox

    via = f"\n(gateway {gateway})" if gateway else ""
    answer = QMessageBox.question(
        None,
        "Parley",
        f"Connect to {server}?{via}\n\nParley will open that server and sign in there; "
        "what you signed in to elsewhere stays with its own server.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return bool(answer == QMessageBox.StandardButton.Yes)
