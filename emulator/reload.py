"""Hot reload: when a function's code changes, its next event runs the new code."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from watchfiles import Change, awatch

from emulator.runtime import Runtimes

__all__ = ["watch_code"]

log = logging.getLogger("parley.reload")

#: The folders a handler's code can come from (the template's CodeUri is the repo root).
CODE_FOLDERS = ("functions", "websocket_routes", "shared")


def _is_code(change: Change, path: str) -> bool:
    return path.endswith(".py")


async def watch_code(root: Path, runtimes: Runtimes, stop: asyncio.Event) -> None:
    """Reload every function's workers after a change under the code folders."""
    folders = [root / name for name in CODE_FOLDERS if (root / name).is_dir()]
    if not folders:
        return
    async for changes in awatch(*folders, watch_filter=_is_code, stop_event=stop, debounce=300):
        names = sorted({Path(p).relative_to(root).as_posix() for _, p in changes})
        log.info("code changed (%s): reloading functions", ", ".join(names[:5]))
        await runtimes.reload_all()
