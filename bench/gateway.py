"""WebSocket round trips through the emulator, against a bare aiohttp echo server.

``uv run --frozen python -m bench.gateway`` runs three passes on loopback, one after another:

1. **baseline**: a tiny aiohttp WebSocket server in a child process echoes each text message.
2. **emulator**: ``parley dev`` (the real command, in a child process) with the embedded store.
   Each round trip is a HEARTBEAT (``{"op":1,"d":null}``) routed to the ``$default`` function,
   whose handler posts HEARTBEAT_ACK (op 11) through ``@connections`` with boto3, which the
   emulator then sends down the same WebSocket.
3. **profile** (``--no-profile`` skips it): the same stack in a child process running it under
   cProfile (thread CPU time) while the same load runs, and its ``$default`` workers profiled
   too; the hot spots of both are printed and the stats saved next to the results
   (``python -m pstats bench/results/gateway.pstats``, ``gateway-workers.pstats``).

In each pass N clients each do sequential send -> receive round trips: a warm-up (every worker
started) and then the measured phase. The CPU of every process (``psutil`` ``cpu_times()``,
sampled before and after the measured phase) gives the CPU per round trip of the emulator's
own process, of the function workers (the handler and its boto3 client), of the embedded
store and of the benchmark's clients. The figures are printed and written to
``bench/results/gateway.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import json
import logging
import os
import pstats
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil
from aiohttp import ClientSession, ClientTimeout, ClientWebSocketResponse, WSMsgType, web

from bench.common import (
    RESULTS_DIR,
    BenchError,
    Child,
    CpuDelta,
    CpuSampler,
    cpu_delta,
    percentile,
    print_table,
    spawn,
    wait_for_ready_file,
    write_ready_file,
    write_results,
)

HEARTBEAT = '{"op":1,"d":null}'
HEARTBEAT_ACK = 11
#: The aim: the emulator's own process under a quarter of a round trip's CPU.
EMULATOR_SHARE_TARGET_PCT = 25.0
LOOPBACK = "127.0.0.1"

Check = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class LoadConfig:
    clients: int
    round_trips: int  # per client, measured
    warmup: int  # per client, before the measurement
    reply_timeout_s: float
    phase_timeout_s: float


@dataclass(frozen=True)
class LoadResult:
    round_trips: int
    wall_s: float
    latencies_s: list[float]

    @property
    def rate(self) -> float:
        return self.round_trips / self.wall_s if self.wall_s > 0 else float("nan")

    def latency_ms(self, pct: float) -> float:
        return percentile(self.latencies_s, pct) * 1000


# ---------------------------------------------------------------------------- the load
async def _client_loop(
    ws: ClientWebSocketResponse,
    count: int,
    check: Check,
    timeout_s: float,
    latencies: list[float] | None,
) -> None:
    for _ in range(count):
        started = time.perf_counter()
        await ws.send_str(HEARTBEAT)
        msg = await ws.receive(timeout=timeout_s)
        if msg.type != WSMsgType.TEXT:
            raise BenchError(f"expected a text reply, got {msg.type.name}: {msg.data!r}")
        check(msg.data)
        if latencies is not None:
            latencies.append(time.perf_counter() - started)


async def signed_in(info: dict[str, Any]) -> str:
    """The gateway URL with a fresh user's access token: $connect refuses anyone without one."""
    name = f"bench{secrets.token_hex(6)}"
    body = {"username": name, "email": f"{name}@example.com", "password": "correct horse battery"}
    async with (
        ClientSession() as session,
        session.post(f"{info['http_url']}/api/v1/auth/register", json=body) as response,
    ):
        if response.status != 201:
            raise BenchError(
                f"could not register a user: {response.status} {await response.text()}"
            )
        token = (await response.json())["access_token"]
    return f"{info['ws_url']}?token={token}"


async def drive(
    url: str,
    check: Check,
    config: LoadConfig,
    before: Callable[[], Awaitable[T]],
    after: Callable[[], Awaitable[T]],
) -> tuple[LoadResult, T, T]:
    """Connect the clients, warm up, then the measured phase between ``before`` and ``after``."""
    latencies: list[float] = []
    timeout = ClientTimeout(total=None, connect=config.reply_timeout_s)
    async with asyncio.timeout(config.phase_timeout_s), ClientSession(timeout=timeout) as session:
        sockets = await asyncio.gather(
            *(session.ws_connect(url, autoping=True) for _ in range(config.clients))
        )
        try:
            await asyncio.gather(
                *(
                    _client_loop(ws, config.warmup, check, config.reply_timeout_s, None)
                    for ws in sockets
                )
            )
            first = await before()
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    _client_loop(ws, config.round_trips, check, config.reply_timeout_s, latencies)
                    for ws in sockets
                )
            )
            wall = time.perf_counter() - started
            last = await after()
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return LoadResult(len(latencies), wall, latencies), first, last


def check_echo(data: str) -> None:
    if data != HEARTBEAT:
        raise BenchError(f"the echo server answered {data[:200]!r}")


def check_ack(data: str) -> None:
    try:
        op = json.loads(data).get("op")
    except (ValueError, AttributeError):
        op = None
    if op != HEARTBEAT_ACK:
        raise BenchError(f"expected HEARTBEAT_ACK (op 11), the emulator sent {data[:300]!r}")


# ---------------------------------------------------------------------------- CPU
def classify_stack_child(proc: psutil.Process) -> tuple[str, str]:
    """(component, label) of a descendant of the emulator process."""
    try:
        cmdline = " ".join(proc.cmdline())
    except psutil.Error:
        return "other", "?"
    if "emulator.worker" in cmdline:
        label = "?"
        with contextlib.suppress(psutil.Error):
            label = proc.environ().get("AWS_LAMBDA_FUNCTION_NAME", "?")
        return "workers", label
    if "emulator.store_server" in cmdline:
        return "store", "store"
    return "other", cmdline[:80]


def classify_other(proc: psutil.Process) -> tuple[str, str]:
    return "other", proc.name()


def us_per_rt(seconds: float, round_trips: int) -> float:
    return seconds / round_trips * 1e6 if round_trips else float("nan")


def _sampler_pair(
    sampler: CpuSampler,
) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
    async def sample() -> Any:
        return sampler.snapshot()

    return sample, sample


# ---------------------------------------------------------------------------- passes
async def baseline_pass(config: LoadConfig, workdir: Path) -> tuple[LoadResult, CpuDelta]:
    ready = workdir / "echo-ready.json"
    child = await spawn(
        "echo server",
        [sys.executable, "-m", "bench.gateway", "echo-server", "--ready-file", str(ready)],
        workdir / "echo.log",
    )
    try:
        info = await wait_for_ready_file(child, ready, timeout_s=60)
        sampler = CpuSampler(child.pid, "server", classify_other, extra={"client": os.getpid()})
        before, after = _sampler_pair(sampler)
        load, first, last = await drive(info["ws_url"], check_echo, config, before, after)
        return load, cpu_delta(first, last)
    finally:
        await child.stop()


@dataclass(frozen=True)
class EmulatorRun:
    load: LoadResult
    cpu: CpuDelta
    idle: CpuDelta | None
    processes: dict[str, int]


async def emulator_pass(config: LoadConfig, workdir: Path, idle_s: float) -> EmulatorRun:
    ready = workdir / "stack-ready.json"
    argv = [
        sys.executable,
        "-m",
        "emulator.cli",
        "dev",
        "--host",
        LOOPBACK,
        "--http-port",
        "0",
        "--ws-port",
        "0",
        "--store-port",
        "0",
        "--no-reload",
        "--quiet-functions",
        "--no-media-node",
        "--ready-file",
        str(ready),
    ]
    # The embedded store, never an outside endpoint.
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL",)}
    # Each client sends its heartbeats back to back: far past a connection's frame budget.
    env["PARLEY_GATEWAY_FRAME_BUDGET"] = "1000000/1"
    child = await spawn("parley dev", argv, workdir / "stack.log", env=env)
    try:
        info = await wait_for_ready_file(child, ready, timeout_s=180)
        child.remember_descendants()
        sampler = CpuSampler(
            child.pid, "emulator", classify_stack_child, extra={"client": os.getpid()}
        )
        idle = None
        if idle_s > 0:
            # A measurement window, not a wait: what the stack burns at rest, before any client
            # (after the load, closing the clients starts $disconnect workers).
            start = sampler.snapshot()
            await asyncio.sleep(idle_s)
            idle = cpu_delta(start, sampler.snapshot())
        before, after = _sampler_pair(sampler)
        url = await signed_in(info)
        load, first, last = await drive(url, check_ack, config, before, after)
        children = child.remember_descendants()
        counts: dict[str, int] = {}
        for proc in children:
            component = classify_stack_child(proc)[0]
            counts[component] = counts.get(component, 0) + 1
        if child.process.returncode is not None:
            raise BenchError(f"parley dev exited during the run:\n{child.log_tail()}")
        return EmulatorRun(load, cpu_delta(first, last), idle, counts)
    finally:
        await child.stop()


@dataclass(frozen=True)
class ProfileRun:
    load: LoadResult
    loop_pstats: Path
    worker_pstats: list[Path]


#: Named by the profiled stack's PARLEY_WORKER_STARTUP, which each function worker runs before it
#: imports its handler (workers see no PYTHONPATH or site): each worker gets a cProfile that
#: SIGUSR1 starts and SIGUSR2 stops and saves.
WORKER_SITECUSTOMIZE = """\
\"\"\"Written by bench.gateway for its profile pass: cProfile in a function worker.\"\"\"
import os


def _install():
    directory = os.environ.get("PARLEY_BENCH_WORKER_PROFILE_DIR")
    if not directory or "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return
    import cProfile
    import signal
    import time

    profiler = cProfile.Profile(time.thread_time)

    def start(_signum, _frame):
        profiler.enable()

    def stop(_signum, _frame):
        profiler.disable()
        path = os.path.join(directory, f"worker-{os.getpid()}.pstats")
        profiler.dump_stats(path + ".tmp")
        os.replace(path + ".tmp", path)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


_install()
"""


async def _command(child: Child, command: str, timeout_s: float = 60) -> str:
    stdin, stdout = child.process.stdin, child.process.stdout
    assert stdin is not None and stdout is not None
    stdin.write(f"{command}\n".encode())
    await stdin.drain()
    line = await asyncio.wait_for(stdout.readline(), timeout_s)
    if not line:
        raise BenchError(f"{child.name} closed its pipe after {command!r}:\n{child.log_tail()}")
    return line.decode().strip()


def _prepare_worker_profiling(workdir: Path) -> tuple[Path, Path]:
    site_dir, profile_dir = workdir / "site", workdir / "worker-profiles"
    site_dir.mkdir()
    profile_dir.mkdir()
    (site_dir / "sitecustomize.py").write_text(WORKER_SITECUSTOMIZE)
    return site_dir, profile_dir


async def profile_pass(config: LoadConfig, workdir: Path, out: Path) -> ProfileRun:
    site_dir, profile_dir = _prepare_worker_profiling(workdir)
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL",)}
    env["PARLEY_WORKER_STARTUP"] = str(site_dir / "sitecustomize.py")
    env["PARLEY_BENCH_WORKER_PROFILE_DIR"] = str(profile_dir)
    argv = [sys.executable, "-m", "bench.gateway", "profile-stack", "--profile-out", str(out)]
    child = await spawn(
        "profiled stack",
        argv,
        workdir / "profiled-stack.log",
        control_pipes=True,
        env=env,
    )
    try:
        assert child.process.stdout is not None
        line = await asyncio.wait_for(child.process.stdout.readline(), 180)
        if not line.startswith(b"READY "):
            raise BenchError(f"the profiled stack did not start:\n{child.log_tail()}")
        info = json.loads(line[len(b"READY ") :])

        async def start() -> str:
            return await _command(child, "start")

        async def stop() -> str:
            return await _command(child, "stop")

        load, _, _ = await drive(await signed_in(info), check_ack, config, start, stop)
        with contextlib.suppress(BenchError, TimeoutError, ConnectionError):
            await _command(child, "quit", timeout_s=30)
        return ProfileRun(load, out, sorted(profile_dir.glob("worker-*.pstats")))
    finally:
        await child.stop()


# ---------------------------------------------------------------------------- profile reading
def _area(filename: str, function: str) -> str:
    """Where a profiled function lives: a package, a stdlib module, or a kind of built-in."""
    if filename == "~":
        io_words = ("socket", "poll", "posix.read", "posix.write", "_ssl", "select")
        return "built-in: I/O syscalls" if any(w in function for w in io_words) else "built-in"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    root = str(Path(__file__).resolve().parent.parent)
    if filename.startswith(root):
        rel = path.relative_to(root).parts
        return "/".join(rel[:2]).removesuffix(".py") if rel[0] == "emulator" else rel[0]
    for i, part in enumerate(parts):
        if part.startswith("python3") and i + 1 < len(parts):
            return f"stdlib {parts[i + 1].removesuffix('.py')}"
    return filename


def read_profile(paths: list[Path], top: int = 15) -> dict[str, Any]:
    """Own time by area and the top functions of one profile, or of several merged."""
    stats = pstats.Stats(*(str(p) for p in paths))
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values()) or float("nan")
    areas: dict[str, float] = {}
    rows: list[tuple[float, float, int, str]] = []
    for (filename, lineno, function), (_cc, nc, tt, ct, _callers) in entries.items():
        area = _area(filename, function)
        areas[area] = areas.get(area, 0.0) + tt
        where = function if filename == "~" else f"{Path(filename).name}:{lineno}({function})"
        rows.append((tt, ct, nc, f"[{area}] {where}"))
    rows.sort(reverse=True)
    return {
        "total_s": total,
        "by_area": [
            {"area": a, "seconds": s, "pct": 100 * s / total}
            for a, s in sorted(areas.items(), key=lambda kv: -kv[1])
        ],
        "top_functions": [
            {"function": f, "tottime_s": tt, "cumtime_s": ct, "calls": nc}
            for tt, ct, nc, f in rows[:top]
        ],
    }


# ---------------------------------------------------------------------------- the report
def _print_profile(what: str, prof: dict[str, Any], run: dict[str, Any]) -> None:
    n = run["round_trips"]
    print()
    print(
        f"Profile of {what}: cProfile on thread CPU time, {n} round trips "
        f"({run['rps_under_profiler']:.0f}/s under the profiler), {prof['total_s']:.2f} s = "
        f"{us_per_rt(prof['total_s'], n):.0f} us/rt with the profiler's overhead"
    )
    print_table(
        ["area (own time)", "us/rt", "%"],
        [[a["area"], us_per_rt(a["seconds"], n), a["pct"]] for a in prof["by_area"][:12]],
    )
    print()
    print_table(
        ["function (by own time)", "tottime us/rt", "cumtime us/rt", "calls"],
        [
            [f["function"], us_per_rt(f["tottime_s"], n), us_per_rt(f["cumtime_s"], n), f["calls"]]
            for f in prof["top_functions"][:12]
        ],
    )
    print(f"  full profile: {prof['pstats_file']}")


def _load_figures(load: LoadResult) -> dict[str, Any]:
    return {
        "round_trips": load.round_trips,
        "wall_s": round(load.wall_s, 4),
        "rps": round(load.rate, 1),
        "p50_ms": round(load.latency_ms(50), 3),
        "p99_ms": round(load.latency_ms(99), 3),
    }


def report(
    config: LoadConfig,
    baseline: tuple[LoadResult, CpuDelta],
    emulator: EmulatorRun,
    profile: dict[str, Any] | None,
) -> dict[str, Any]:
    base_load, base_cpu = baseline
    emu_load, emu_cpu = emulator.load, emulator.cpu
    ratio = emu_load.rate / base_load.rate
    n_emu, n_base = emu_load.round_trips, base_load.round_trips
    components = ("emulator", "workers", "store", "other")
    emu_us = {c: us_per_rt(emu_cpu.by_component.get(c, 0.0), n_emu) for c in components}
    stack_us = sum(emu_us.values())
    share = 100 * emu_us["emulator"] / stack_us if stack_us else float("nan")
    base_server_us = us_per_rt(base_cpu.by_component.get("server", 0.0), n_base)

    print()
    print(
        f"WebSocket round trips: {config.clients} clients, each {config.warmup} warm-up then "
        f"{config.round_trips} measured sequential round trips ({n_base // config.clients} "
        f"against the baseline), message {HEARTBEAT}"
    )
    print_table(
        ["", "round trips/s", "p50 ms", "p99 ms", "server CPU us/rt", "client CPU us/rt"],
        [
            [
                "baseline: aiohttp echo",
                base_load.rate,
                base_load.latency_ms(50),
                base_load.latency_ms(99),
                base_server_us,
                us_per_rt(base_cpu.by_component.get("client", 0.0), n_base),
            ],
            [
                "emulator: parley dev",
                emu_load.rate,
                emu_load.latency_ms(50),
                emu_load.latency_ms(99),
                stack_us,
                us_per_rt(emu_cpu.by_component.get("client", 0.0), n_emu),
            ],
        ],
    )
    print(f"ratio emulator/baseline: {ratio:.4f} ({1 / ratio:.1f}x fewer round trips per second)")
    print()
    print_table(
        ["component", "CPU us/rt", "share %"],
        [[c, emu_us[c], 100 * emu_us[c] / stack_us] for c in components]
        + [["total (stack)", stack_us, 100.0]],
        title="Where a round trip's CPU goes (parley dev process tree, measured phase):",
    )
    loop_us = us_per_rt(emu_cpu.root_main_thread, n_emu)
    threads_us = us_per_rt(emu_cpu.root_other_threads, n_emu)
    print(
        f"  emulator process: event loop thread {loop_us:.0f} us/rt, "
        f"other threads (asyncio.to_thread: boto3 stream polling) {threads_us:.0f} us/rt"
    )
    by_function = {
        label: us_per_rt(s, n_emu)
        for (comp, label), s in emu_cpu.by_label.items()
        if comp == "workers"
    }
    print(
        "  workers by function: "
        + ", ".join(
            f"{k} {v:.0f} us/rt"
            for k, v in sorted(by_function.items(), key=lambda kv: -kv[1])
            if v >= 0.5
        )
    )
    print(f"  processes: {emulator.processes}")
    if emu_cpu.vanished:
        print(
            f"  note: {emu_cpu.vanished} process(es) exited during the phase: their CPU is missing"
        )
    if emu_cpu.appeared:
        print(
            f"  note: {emu_cpu.appeared} process(es) started during the phase (workers scaling "
            "out: cold starts); their start-up CPU is included"
        )
    verdict = "met" if share < EMULATOR_SHARE_TARGET_PCT else "NOT met"
    print(
        f"emulator's own share: {share:.1f}% of the stack's CPU per round trip "
        f"(aim: under {EMULATOR_SHARE_TARGET_PCT:.0f}%, {verdict})"
    )
    idle_figures: dict[str, Any] | None = None
    if emulator.idle is not None:
        idle = emulator.idle
        idle_figures = {
            "window_s": round(idle.wall_s, 3),
            "cpu_pct_of_one_core": {
                c: round(100 * idle.by_component.get(c, 0.0) / idle.wall_s, 2) for c in components
            },
            "emulator_event_loop_pct": round(100 * idle.root_main_thread / idle.wall_s, 2),
            "emulator_other_threads_pct": round(100 * idle.root_other_threads / idle.wall_s, 2),
        }
        pct = idle_figures["cpu_pct_of_one_core"]
        print(
            f"at rest ({idle.wall_s:.1f} s, no clients sending): "
            + ", ".join(f"{c} {pct[c]:.1f}%" for c in components)
            + " of one core"
        )
    if profile is not None:
        _print_profile("the emulator's event loop thread", profile["emulator_event_loop"], profile)
        if profile["workers"] is not None:
            _print_profile(
                f"the $default workers ({profile['workers']['worker_processes']} processes: "
                "the handler and its boto3 client)",
                profile["workers"],
                profile,
            )

    return {
        "config": {
            "clients": config.clients,
            "round_trips_per_client": config.round_trips,
            "baseline_round_trips_per_client": n_base // config.clients,
            "warmup_per_client": config.warmup,
            "message": HEARTBEAT,
        },
        "baseline_rps": round(base_load.rate, 1),
        "emulator_rps": round(emu_load.rate, 1),
        "ratio": round(ratio, 5),
        "emulator_share_pct": round(share, 2),
        "emulator_share_target_pct": EMULATOR_SHARE_TARGET_PCT,
        "emulator_share_met": share < EMULATOR_SHARE_TARGET_PCT,
        "baseline": {
            **_load_figures(base_load),
            "cpu_us_per_rt": {
                "server": round(base_server_us, 1),
                "client": round(us_per_rt(base_cpu.by_component.get("client", 0.0), n_base), 1),
            },
        },
        "emulator": {
            **_load_figures(emu_load),
            "cpu_us_per_rt": {
                **{c: round(v, 1) for c, v in emu_us.items()},
                "total": round(stack_us, 1),
                "client": round(us_per_rt(emu_cpu.by_component.get("client", 0.0), n_emu), 1),
            },
            "emulator_process_us_per_rt": {
                "event_loop_thread": round(loop_us, 1),
                "other_threads": round(threads_us, 1),
            },
            "workers_by_function_us_per_rt": {k: round(v, 1) for k, v in by_function.items()},
            "processes": emulator.processes,
            "processes_exited_during_phase": emu_cpu.vanished,
            "processes_started_during_phase": emu_cpu.appeared,
            "at_rest": idle_figures,
        },
        "profile": profile,
    }


# ---------------------------------------------------------------------------- child modes
async def echo_server(ready_file: Path) -> None:
    """The baseline: echo every text (and binary) message back on the same socket."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, compress=False)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, LOOPBACK, 0)
        await site.start()
        port = int(runner.addresses[0][1])
        write_ready_file(ready_file, {"ws_url": f"ws://{LOOPBACK}:{port}/"})
        await stop.wait()
    finally:
        await runner.cleanup()


def _signal_all(pids: list[int], signum: signal.Signals) -> list[int]:
    """Send ``signum`` to each pid; the pids it reached."""
    reached = []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
            reached.append(pid)
    return reached


def _all_exist(paths: list[Path]) -> bool:
    return all(p.exists() for p in paths)


async def _wait_for_files(paths: list[Path], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _all_exist(paths):
            return
        await asyncio.sleep(0.02)


async def profiled_stack(profile_out: Path) -> None:
    """The stack in this process, profiled between "start" and "stop" on stdin.

    Speaks lines on stdin/stdout: prints ``READY <json>`` once up, answers each command with
    ``ok <command>``; "quit", end of input or SIGTERM stop the stack.
    """
    from emulator.config import DevSettings
    from emulator.stack import Stack

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("parley.fn").setLevel(logging.WARNING)
    settings = DevSettings(
        host=LOOPBACK, http_port=0, ws_port=0, store_port=0, reload=False, ready_file=None
    )
    stack = Stack(settings)
    # CPU time of this thread, not wall time: the event loop's waits in epoll cost nothing.
    profiler = cProfile.Profile(time.thread_time)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, reader.feed_eof)

    def say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    worker_dir = os.environ.get("PARLEY_BENCH_WORKER_PROFILE_DIR")
    profiled_workers: list[int] = []
    try:
        info = await stack.start()
        assert stack.runtimes is not None and stack.template is not None
        assert stack.template.websocket is not None
        default = stack.runtimes[stack.template.websocket.routes["$default"]]
        say("READY " + json.dumps(info.as_dict()))
        while line := await reader.readline():
            command = line.decode().strip()
            if command == "start":
                if worker_dir:
                    profiled_workers = _signal_all(default.pids(), signal.SIGUSR1)
                profiler.enable()
            elif command == "stop":
                profiler.disable()
                profiler.dump_stats(str(profile_out))
                if worker_dir:
                    saved = _signal_all(profiled_workers, signal.SIGUSR2)
                    await _wait_for_files(
                        [Path(worker_dir) / f"worker-{pid}.pstats" for pid in saved], 20.0
                    )
            say(f"ok {command}")
            if command == "quit":
                break
    finally:
        profiler.disable()
        await stack.stop()


# ---------------------------------------------------------------------------- main
async def run(args: argparse.Namespace) -> int:
    # SIGTERM cancels the run, so the finally clauses still stop every child (SIGINT does so
    # through asyncio.run's KeyboardInterrupt).
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    config = LoadConfig(
        clients=args.clients,
        round_trips=args.round_trips,
        warmup=args.warmup,
        reply_timeout_s=args.reply_timeout,
        phase_timeout_s=args.phase_timeout,
    )
    # The echo server is ~40x faster: more round trips give its CPU figures enough clock ticks.
    baseline_config = dataclasses.replace(
        config, round_trips=args.round_trips * args.baseline_factor
    )
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        workdir = Path(tmp)
        print("baseline: aiohttp echo server …", flush=True)
        baseline = await baseline_pass(baseline_config, workdir)
        print("emulator: parley dev …", flush=True)
        emulator = await emulator_pass(config, workdir, args.idle)
        profile: dict[str, Any] | None = None
        if args.profile:
            print("profile: the stack under cProfile …", flush=True)
            run_ = await profile_pass(config, workdir, out.with_suffix(".pstats"))
            profile = {
                "round_trips": run_.load.round_trips,
                "rps_under_profiler": round(run_.load.rate, 1),
                "emulator_event_loop": {
                    **read_profile([run_.loop_pstats]),
                    "pstats_file": str(run_.loop_pstats),
                },
                "workers": None,
            }
            if run_.worker_pstats:
                merged = out.with_name(f"{out.stem}-workers.pstats")
                pstats.Stats(*(str(p) for p in run_.worker_pstats)).dump_stats(str(merged))
                profile["workers"] = {
                    **read_profile([merged]),
                    "worker_processes": len(run_.worker_pstats),
                    "pstats_file": str(merged),
                }
    figures = report(config, baseline, emulator, profile)
    path = write_results(out.stem, figures, out.parent)
    print(f"\nwritten: {path}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--clients", type=int, default=8, help="concurrent WebSockets (8)")
    parser.add_argument("--round-trips", type=int, default=300, help="measured, per client (300)")
    parser.add_argument("--warmup", type=int, default=50, help="round trips per client first (50)")
    parser.add_argument(
        "--idle", type=float, default=2.0, help="seconds of CPU at rest (2; 0: off)"
    )
    parser.add_argument("--no-profile", action="store_false", dest="profile")
    parser.add_argument(
        "--baseline-factor",
        type=int,
        default=10,
        help="the baseline does this many times --round-trips (10)",
    )
    parser.add_argument("--reply-timeout", type=float, default=30.0, help="seconds per reply")
    parser.add_argument("--phase-timeout", type=float, default=600.0, help="seconds per pass")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "gateway.json")
    sub = parser.add_subparsers(dest="mode")
    echo = sub.add_parser("echo-server", help="(internal) the baseline server")
    echo.add_argument("--ready-file", type=Path, required=True)
    prof = sub.add_parser("profile-stack", help="(internal) the stack under cProfile")
    prof.add_argument("--profile-out", type=Path, required=True)
    args = parser.parse_args(argv)
    for name in ("clients", "round_trips", "warmup", "baseline_factor"):
        if getattr(args, name) < (0 if name == "warmup" else 1):
            parser.error(f"--{name.replace('_', '-')} is too small")
    if args.mode == "echo-server":
        asyncio.run(echo_server(args.ready_file))
    elif args.mode == "profile-stack":
        asyncio.run(profiled_stack(args.profile_out))
    else:
        try:
            raise SystemExit(asyncio.run(run(args)))
        except BenchError as exc:
            print(f"bench.gateway: {exc}", file=sys.stderr)
            raise SystemExit(1) from exc
        except TimeoutError as exc:
            print(
                "bench.gateway: timed out (--reply-timeout per reply, --phase-timeout per pass)",
                file=sys.stderr,
            )
            raise SystemExit(1) from exc
        except asyncio.CancelledError as exc:
            print("bench.gateway: stopped", file=sys.stderr)
            raise SystemExit(143) from exc


if __name__ == "__main__":
    main()
