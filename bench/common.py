"""What every benchmark shares: machine facts, percentiles, child processes, CPU, results.

Benchmarks run their subjects as child processes on loopback ports, wait for them with a
deadline (never a fixed sleep), take CPU figures with psutil, print a short report and write
their figures as JSON under ``bench/results/``. Every child they start is stopped on the way
out, error or not: SIGTERM first, SIGKILL when it does not go, then whatever it left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psutil

__all__ = [
    "REPO_ROOT",
    "RESULTS_DIR",
    "BenchError",
    "Child",
    "CpuDelta",
    "CpuSampler",
    "CpuSnapshot",
    "cpu_delta",
    "machine_info",
    "percentile",
    "print_table",
    "spawn",
    "wait_for_ready_file",
    "write_ready_file",
    "write_results",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


class BenchError(Exception):
    """The benchmark could not run as set up (a child failed, an answer was wrong, too slow)."""


# ---------------------------------------------------------------------------- facts and figures
def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Enough about the machine to compare one run with another."""
    load: list[float] | None = None
    with contextlib.suppress(OSError, AttributeError):
        load = [round(x, 2) for x in os.getloadavg()]
    return {
        "cpu_count": os.cpu_count(),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15": load,
    }


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0-100), linearly interpolated; NaN for no values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return float(values[0])
    if pct <= 0:
        return float(min(values))
    if pct >= 100:
        return float(max(values))
    cuts = statistics.quantiles(values, n=1000, method="inclusive")
    return float(cuts[round(pct * 10) - 1])


def write_results(name: str, figures: Mapping[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """``<directory>/<name>.json``: the figures plus when and where they were taken."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": machine_info(),
        **figures,
    }
    path = directory / f"{name}.json"
    scratch = path.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    scratch.replace(path)
    return path


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """A plain aligned table: the first column left-aligned, the others right-aligned."""
    body = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [first.ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    if title:
        print(title)
    print(line(list(headers)))
    print(line(["-" * w for w in widths]))
    for row in body:
        print(line(row))
    sys.stdout.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# ---------------------------------------------------------------------------- child processes
@dataclass
class Child:
    """A process the benchmark started, with its log and every descendant it was seen with."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    seen: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def remember_descendants(self) -> list[psutil.Process]:
        """Its descendants now; remembered, so a stop also ends those it leaves behind."""
        try:
            found = psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return []
        for proc in found:
            self.seen.setdefault(proc.pid, proc)
        return found

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    async def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; then the descendants it left running."""
        self.remember_descendants()
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout_s)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await asyncio.wait_for(self.process.wait(), timeout_s)
        leftovers = list(self.seen.values())
        if leftovers:
            await asyncio.to_thread(_end_processes, leftovers, timeout_s)


def _end_processes(procs: list[psutil.Process], timeout_s: float) -> None:
    """Terminate, wait, kill: psutil checks each is still the process it was (no pid reuse)."""
    alive: list[psutil.Process] = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running():
                proc.terminate()
                alive.append(proc)
    _gone, still = psutil.wait_procs(alive, timeout=timeout_s)
    for proc in still:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(still, timeout=timeout_s)


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


async def spawn(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    *,
    control_pipes: bool = False,
    cwd: Path = REPO_ROOT,
    env: Mapping[str, str] | None = None,
) -> Child:
    """Start ``argv``; its output goes to ``log_path`` (stderr only with ``control_pipes``,
    whose stdin and stdout are then pipes to talk to it)."""
    log = _open_log(log_path)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if control_pipes else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if control_pipes else log,
            stderr=log,
            cwd=str(cwd),
            env=dict(env) if env is not None else None,
        )
    finally:
        log.close()  # the child holds its own descriptor
    return Child(name=name, process=process, log_path=log_path)


def write_ready_file(path: Path, content: Mapping[str, Any]) -> None:
    """Write a ready file atomically, so a poller never reads half of it."""
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(dict(content)))
    scratch.replace(path)


def _read_json(path: Path) -> Any:
    """The JSON in ``path``; None while it is missing or half-written."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


async def wait_for_ready_file(
    child: Child, path: Path, timeout_s: float, poll_s: float = 0.05
) -> dict[str, Any]:
    """The JSON the child writes to ``path`` once it serves; fails fast when it exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child.process.returncode is not None:
            raise BenchError(
                f"{child.name} exited with {child.process.returncode} before it was ready:\n"
                f"{child.log_tail()}"
            )
        content = _read_json(path)
        if isinstance(content, dict):
            return content
        await asyncio.sleep(poll_s)
    raise BenchError(f"{child.name} was not ready within {timeout_s:g} s:\n{child.log_tail()}")


# ---------------------------------------------------------------------------- CPU accounting
#: A process's identity across samples: its pid and its start time (pids are reused).
ProcKey = tuple[int, float]


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds (user + system) so far, per process and per thread of the root process."""

    taken_at: float
    processes: dict[ProcKey, tuple[str, str, float]]  # key -> (component, label, seconds)
    root_threads: dict[int, float]  # thread id -> seconds
    root_pid: int


class CpuSampler:
    """Samples a process tree; ``classify`` names the component of each descendant.

    ``extra`` processes (e.g. the benchmark's own, which runs the clients) are sampled too,
    under the component names they are given.
    """

    def __init__(
        self,
        root_pid: int,
        root_component: str,
        classify: Callable[[psutil.Process], tuple[str, str]],
        extra: Mapping[str, int] | None = None,
    ) -> None:
        self.root = psutil.Process(root_pid)
        self.root_component = root_component
        self.classify = classify
        self.extra = {name: psutil.Process(pid) for name, pid in (extra or {}).items()}
        self._names: dict[ProcKey, tuple[str, str]] = {}

    def _named(self, proc: psutil.Process) -> tuple[ProcKey, tuple[str, str]]:
        key = (proc.pid, proc.create_time())
        naming = self._names.get(key)
        if naming is None:
            naming = self.classify(proc)
            # Between fork and exec a child still looks like its parent: name it again later.
            if naming[0] != "other":
                self._names[key] = naming
        return key, naming

    def snapshot(self) -> CpuSnapshot:
        processes: dict[ProcKey, tuple[str, str, float]] = {}
        taken_at = time.monotonic()
        targets: list[tuple[psutil.Process, tuple[str, str] | None]] = [
            (self.root, (self.root_component, self.root_component))
        ]
        targets += [(proc, (name, name)) for name, proc in self.extra.items()]
        with contextlib.suppress(psutil.Error):
            targets += [(proc, None) for proc in self.root.children(recursive=True)]
        for proc, naming in targets:
            with contextlib.suppress(psutil.Error):
                key = (proc.pid, proc.create_time())
                if naming is None:
                    key, naming = self._named(proc)
                times = proc.cpu_times()
                processes[key] = (naming[0], naming[1], times.user + times.system)
        threads: dict[int, float] = {}
        with contextlib.suppress(psutil.Error):
            threads = {t.id: t.user_time + t.system_time for t in self.root.threads()}
        return CpuSnapshot(taken_at, processes, threads, self.root.pid)


@dataclass(frozen=True)
class CpuDelta:
    """CPU seconds spent between two snapshots."""

    wall_s: float
    by_component: dict[str, float]
    by_label: dict[tuple[str, str], float]
    root_main_thread: float
    root_other_threads: float
    vanished: int  # processes in the first snapshot, gone by the second: their share is lost
    appeared: int


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> CpuDelta:
    by_component: dict[str, float] = {}
    by_label: dict[tuple[str, str], float] = {}
    for key, (component, label, seconds) in after.processes.items():
        start = before.processes.get(key, (component, label, 0.0))[2]
        spent = max(0.0, seconds - start)
        by_component[component] = by_component.get(component, 0.0) + spent
        by_label[(component, label)] = by_label.get((component, label), 0.0) + spent
    main = after.root_threads.get(after.root_pid, 0.0) - before.root_threads.get(
        before.root_pid, 0.0
    )
    others = sum(
        max(0.0, s - before.root_threads.get(tid, 0.0))
        for tid, s in after.root_threads.items()
        if tid != after.root_pid
    )
    return CpuDelta(
        wall_s=after.taken_at - before.taken_at,
        by_component=by_component,
        by_label=by_label,
        root_main_thread=max(0.0, main),
        root_other_threads=others,
        vanished=len(before.processes.keys() - after.processes.keys()),
        appeared=len(after.processes.keys() - before.processes.keys()),
    )
