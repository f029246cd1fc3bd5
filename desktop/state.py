"""What the desktop shell remembers between runs: the window's geometry, the server and the
sessions.

A small JSON file in the user's config directory. A session is the UI's own JSON (user and
tokens) kept opaque here, one per server origin: the shell only stores it for the page of that
server, through the JS bridge.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Geometry", "ShellState", "default_state_path"]


def default_state_path() -> Path:
    """``<config dir>/parley/desktop.json`` (XDG on Linux, APPDATA on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "parley" / "desktop.json"


@dataclass
class Geometry:
    """The window's size and position (position None: let the window manager place it)."""

    width: int = 1280
    height: int = 800
    x: int | None = None
    y: int | None = None

    def __post_init__(self) -> None:
        # A geometry saved on a bigger screen or corrupted by hand must still give a usable window.
        self.width = min(max(int(self.width), 640), 10_000)
        self.height = min(max(int(self.height), 480), 10_000)
        # A position off the top-left (a headless run, a monitor since unplugged) could hide
        # the window: let the window manager place it instead.
        if self.x is None or self.y is None or int(self.x) < 0 or int(self.y) < 0:
            self.x = self.y = None


@dataclass
class ShellState:
    """The remembered state; unknown or broken files give the defaults, never a crash."""

    geometry: Geometry = field(default_factory=Geometry)
    #: The page's session per server origin (older files' single ``session`` is dropped: which
    #: server it belonged to cannot be known).
    sessions: dict[str, str] = field(default_factory=dict)
    #: The server used last (``parley desktop`` without ``--server`` goes back to it).
    server: str | None = None
    #: The gateway URL chosen with it, if one was.
    gateway: str | None = None

    @classmethod
    def load(cls, path: Path) -> ShellState:
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        geometry = raw.get("geometry")
        try:
            geo = Geometry(**geometry) if isinstance(geometry, dict) else Geometry()
        except (TypeError, ValueError):
            geo = Geometry()
        sessions = raw.get("sessions")
        server = raw.get("server")
        gateway = raw.get("gateway")
        return cls(
            geometry=geo,
            sessions={
                k: v
                for k, v in (sessions.items() if isinstance(sessions, dict) else ())
                if isinstance(k, str) and isinstance(v, str)
            },
            server=server if isinstance(server, str) else None,
            gateway=gateway if isinstance(gateway, str) else None,
        )

    def save(self, path: Path) -> None:
        """Write atomically (a crash mid-write keeps the old file), readable by the user only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".desktop-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(asdict(self), out, indent=2)
            os.chmod(tmp, 0o600)  # it holds a refresh token
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
