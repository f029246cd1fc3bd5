"""Hot reload: when a function's code changes, its artifact is built again and its next event
runs the new build.

What is watched is what a function's build reads: the Python packages directly under each
function's CodeUri (recursively), and the modules, ``requirements.txt`` and ``Makefile`` beside
them (not recursively, so ``.venv`` and ``node_modules`` under a repository-root CodeUri are never
walked). A change rebuilds the artifacts of the functions whose CodeUri holds it, through the
same ``make`` rule or copy as at start (:mod:`emulator.artifacts`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from watchfiles import Change, awatch

from emulator.artifacts import ArtifactBuilder, BuildError
from emulator.runtime import Runtimes

__all__ = ["watch_code"]

log = logging.getLogger("parley.reload")

_BUILD_INPUTS = ("requirements.txt", "Makefile")


def _is_code(_change: Change, path: str) -> bool:
    return path.endswith(".py") or Path(path).name in _BUILD_INPUTS


def _packages(code_dir: Path) -> list[Path]:
    return sorted(p for p in code_dir.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


async def _rebuild(changed: set[Path], builder: ArtifactBuilder, runtimes: Runtimes) -> None:
    functions = builder.functions_under(changed)
    if not functions:
        return
    names = sorted({p.name for p in changed})
    log.info("code changed (%s): rebuilding %d function(s)", ", ".join(names[:5]), len(functions))
    try:
        codes = await builder.rebuild(functions)
    except BuildError as exc:
        log.error("the functions keep their previous build: %s", exc)
        return
    changed_functions = await runtimes.reload(codes)
    log.info("reloaded %d function(s) whose artifact changed", len(changed_functions))


async def _watch(
    paths: list[Path],
    recursive: bool,
    builder: ArtifactBuilder,
    runtimes: Runtimes,
    lock: asyncio.Lock,
    stop: asyncio.Event,
) -> None:
    if not paths:
        return
    async for changes in awatch(
        *paths, watch_filter=_is_code, stop_event=stop, debounce=300, recursive=recursive
    ):
        async with lock:  # one rebuild at a time: generations are built in order
            await _rebuild({Path(p) for _, p in changes}, builder, runtimes)


async def watch_code(
    code_dirs: Iterable[Path], builder: ArtifactBuilder, runtimes: Runtimes, stop: asyncio.Event
) -> None:
    """Rebuild and reload the functions whose code changes, until ``stop`` is set."""
    roots = sorted(set(code_dirs))
    packages = [package for root in roots for package in _packages(root)]
    lock = asyncio.Lock()
    await asyncio.gather(
        _watch(packages, True, builder, runtimes, lock, stop),
        _watch(roots, False, builder, runtimes, lock, stop),
    )
