"""Hot reload: when a function's code changes, its next event runs the new code.

What is watched is what Lambda would load: the Python packages directly under each function's
CodeUri (recursively) and the modules beside them (not recursively, so ``.venv`` and
``node_modules`` under a repository-root CodeUri are never walked).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from watchfiles import Change, awatch

from emulator.runtime import Runtimes

__all__ = ["watch_code"]

log = logging.getLogger("parley.reload")


def _is_code(_change: Change, path: str) -> bool:
    return path.endswith(".py")


def _packages(code_dir: Path) -> list[Path]:
    return sorted(p for p in code_dir.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


async def _watch(
    paths: list[Path], recursive: bool, runtimes: Runtimes, stop: asyncio.Event
) -> None:
    if not paths:
        return
    async for changes in awatch(
        *paths, watch_filter=_is_code, stop_event=stop, debounce=300, recursive=recursive
    ):
        names = sorted({Path(p).name for _, p in changes})
        log.info("code changed (%s): reloading functions", ", ".join(names[:5]))
        await runtimes.reload_all()


async def watch_code(code_dirs: Iterable[Path], runtimes: Runtimes, stop: asyncio.Event) -> None:
    """Reload every function's workers after a change to any function's code."""
    roots = sorted(set(code_dirs))
    packages = [package for root in roots for package in _packages(root)]
    await asyncio.gather(
        _watch(packages, True, runtimes, stop), _watch(roots, False, runtimes, stop)
    )
