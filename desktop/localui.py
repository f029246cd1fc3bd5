"""Serve a built UI (``desktop/ui/dist``) on a loopback port, for ``--local-ui``.

The page then talks to the server the shell hands it through the bridge (``connection()``),
never one named in its address. Unknown page paths get index.html
(client-side routing), a missing asset is a 404, and nothing outside the folder is served.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["StaticServer"]


class _Handler(SimpleHTTPRequestHandler):
    def send_head(self) -> Any:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        target = Path(self.translate_path(path))
        if not target.exists() and "." not in path.rsplit("/", 1)[-1]:
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the shell's log is for the shell."""


class StaticServer:
    """A threaded HTTP server for one folder on 127.0.0.1 (port 0: any free port)."""

    def __init__(self, root: Path, port: int = 0) -> None:
        if not (root / "index.html").is_file():
            raise FileNotFoundError(f"no built UI in {root} (run `npm run build` in desktop/ui)")
        handler = partial(_Handler, directory=str(root))
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
