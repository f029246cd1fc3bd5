"""Fan-out through the local stack: send → delivered latency to 100 and 1,000 subscribers.

``uv run --frozen python -m bench.fanout`` runs, one after another, on loopback:

1. **baseline**: the bare aiohttp WebSocket echo server of ``bench.gateway`` (a child process),
   round trips from a few clients: the floor any WebSocket delivery stands on.
2. **posting**: the CPU of one ``@connections`` POST, in this process, against a child HTTP sink
   that answers 200: the stock boto3 ``post_to_connection`` call, one after another, beside the
   :class:`shared.gateway.poster.Poster` the fan-out ships (SigV4 and HTTP by the AWS Common
   Runtime, kept connections, concurrent).
3. **fan-out** for each subscriber count: ``parley dev`` (the real command, a child process with
   the embedded store); users register, join one guild by invite and hold ``N`` gateway
   connections in this process (several sessions per user: a user may have several sessions, and
   each is a subscriber the fan-out posts to). One member sends messages at a steady pace, each
   carrying its send time; every connection records when each arrives. Latency is arrival minus
   send time (the same clock). The pace offers the same deliveries per second at every count
   (``--offered``, 200: a message every 0.5 s to 100, every 5 s to 1,000), so latency is the
   fan-out's own, not a queue that grows because the machine is offered more than it can do.
   What it can do is measured after: a burst of messages sent back to back; deliveries per
   second is the burst's deliveries over the time from its first send to its last arrival.
   CPU per delivery is CPU over the phase divided by the deliveries, twice: the fan-out
   function's own (the path we ship, held to the target: on AWS the store is DynamoDB and the
   @connections endpoint API Gateway, neither our CPU), and the whole local stack's (emulator,
   every function's workers, embedded moto store), with its split by component and function.

Figures are printed and written to ``bench/results/fanout.json``. Targets (on our 2-core
machine): p99 under 250 ms for 100 subscribers and under 1.5 s for 1,000, and under 250 µs of
CPU per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import boto3
from aiohttp import web

from bench.common import (
    RESULTS_DIR,
    BenchError,
    CpuSampler,
    cpu_delta,
    machine_info,
    percentile,
    print_table,
    spawn,
    wait_for_ready_file,
    write_ready_file,
    write_results,
)
from bench.gateway import LoadConfig, baseline_pass, classify_stack_child

LOOPBACK = "127.0.0.1"
PASSWORD = "correct horse battery staple"
TARGET_P99_MS = {100: 250.0, 1000: 1500.0}
TARGET_CPU_US = 250.0
#: The fan-out function's logical id in template.yaml (its workers' AWS_LAMBDA_FUNCTION_NAME).
FANOUT_FUNCTION = "FanoutFunction"
GUILD_PRESENCES = 1 << 8
#: The stack's rate limits and bcrypt cost, opened up: the bench measures delivery, not limits.
STACK_ENV = {
    "PARLEY_RATE_REGISTER_PER_IP": "1000000/60",
    "PARLEY_RATE_LOGIN_PER_IP": "1000000/60",
    "PARLEY_RATE_MESSAGES_PER_CHANNEL": "1000000/1",
    # The sender's burst is the measurement, not the per-user send budget.
    "PARLEY_RATE_LIMITS": json.dumps({"messages.send": "1000000/1"}),
    "PARLEY_BCRYPT_COST": "4",
}


# ---------------------------------------------------------------------------- the stack
@dataclass
class Subscriber:
    """One gateway connection, recording when each benchmark message arrives."""

    ws: aiohttp.ClientWebSocketResponse
    arrivals: dict[int, float] = field(default_factory=dict)  # message number -> latency s
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    heartbeat_s: float = 41.25

    async def beat(self) -> None:
        """Heartbeats at the interval the server asked for, as a client does."""
        while True:
            await asyncio.sleep(self.heartbeat_s)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str('{"op":1,"d":null}')

    async def read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                return
            frame = json.loads(message.data)
            kind = frame.get("t")
            if kind == "MESSAGE_CREATE":
                parts = str(frame["d"].get("content", "")).split()
                if len(parts) == 3 and parts[0] == "fanout":
                    self.arrivals[int(parts[1])] = time.time() - float(parts[2])
            elif kind == "READY":
                self.heartbeat_s = frame["d"]["heartbeat_interval"] / 1000
                self.ready.set()


class Api:
    """The HTTP API of the stack under test."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base

    async def call(
        self, method: str, path: str, token: str | None, body: Any = None, expect: int = 200
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, f"{self.base}/api/v1{path}", json=body, headers=headers
        ) as response:
            if response.status != expect:
                text = await response.text()
                raise BenchError(f"{method} {path}: {response.status} {text[:300]}")
            return await response.json() if response.content_length != 0 else None

    async def register(self) -> str:
        name = f"fan{secrets.token_hex(5)}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        answer = await self.call("POST", "/auth/register", None, body, 201)
        return str(answer["access_token"])


async def _members(api: Api, users: int) -> tuple[str, list[str], str]:
    """The sender's token, the subscribers' tokens, and the guild's text channel.

    One at a time: registrations from one address share one rate-limit bucket, and joins one
    invite's use count; done concurrently they contend (and the set-up is not what is measured).
    """
    gate = asyncio.Semaphore(1)

    async def one() -> str:
        async with gate:
            return await api.register()

    sender = await api.register()
    guild = await api.call("POST", "/guilds", sender, {"name": "fan-out bench"}, 201)
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = await api.call(
        "POST", f"/channels/{channel}/invites", sender, {"max_age": 0, "max_uses": 0}, 201
    )
    tokens = list(await asyncio.gather(*(one() for _ in range(users))))

    async def join(token: str) -> None:
        async with gate:
            await api.call("POST", f"/invites/{invite['code']}", token)

    await asyncio.gather(*(join(t) for t in tokens))
    return sender, tokens, channel


@contextlib.asynccontextmanager
async def subscribed(
    http: aiohttp.ClientSession, ws_url: str, tokens: list[str], count: int, timeout_s: float
) -> AsyncIterator[list[Subscriber]]:
    """``count`` identified connections, spread evenly over the users of ``tokens``; each
    heartbeats from its READY on at the interval READY gives."""
    gate = asyncio.Semaphore(16)
    subscribers: list[Subscriber] = []
    beating: list[asyncio.Task[None]] = []

    async def connect(token: str) -> Subscriber:
        async with gate:
            ws = await http.ws_connect(f"{ws_url}?token={token}", heartbeat=None)
            subscriber = Subscriber(ws)
            subscriber.reader = asyncio.create_task(subscriber.read())
            # Without GUILD_PRESENCES: N sessions coming online would otherwise measure N²/2
            # presence deliveries, not the messages' fan-out.
            intents = 0x7FFFFFFF & ~GUILD_PRESENCES
            d = {"token": token, "properties": {"os": "bench"}, "intents": intents}
            identify = {"op": 2, "d": d}
            await ws.send_str(json.dumps(identify))
            await asyncio.wait_for(subscriber.ready.wait(), timeout_s)
            subscribers.append(subscriber)
            beating.append(asyncio.create_task(subscriber.beat()))
            return subscriber

    try:
        await asyncio.gather(*(connect(tokens[i % len(tokens)]) for i in range(count)))
        yield subscribers
    finally:
        for task in beating:
            task.cancel()
        await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)
        for subscriber in subscribers:
            if subscriber.reader is not None:
                subscriber.reader.cancel()


@dataclass(frozen=True)
class FanoutRun:
    subscribers: int
    users: int
    messages: int
    deliveries: int
    expected: int
    wall_s: float
    latencies_s: list[float]
    first_s: list[float]
    last_s: list[float]
    cpu_s: dict[str, float]
    cpu_by_function: dict[str, float]
    setup_s: float
    gap_s: float
    burst_messages: int
    burst_wall_s: float


async def _send_paced(
    api: Api, sender: str, channel: str, first: int, count: int, gap_s: float
) -> None:
    """``count`` messages numbered from ``first``, one every ``gap_s`` (never faster)."""
    start = time.monotonic()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i * gap_s - time.monotonic()))
        content = f"fanout {first + i} {time.time():.6f}"
        await api.call("POST", f"/channels/{channel}/messages", sender, {"content": content}, 201)


async def _all_arrived(subscribers: list[Subscriber], numbers: range, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while any(n not in s.arrivals for s in subscribers for n in numbers):
        if time.monotonic() > deadline:
            got = sum(1 for s in subscribers for n in numbers if n in s.arrivals)
            none = sum(1 for s in subscribers if not any(n in s.arrivals for n in numbers))
            closed = sum(1 for s in subscribers if s.ws.closed)
            raise BenchError(
                f"{got} of {len(subscribers) * len(numbers)} deliveries arrived; {none} "
                f"subscribers got none of these messages, {closed} connections closed"
            )
        await asyncio.sleep(0.05)


async def fanout_pass(args: argparse.Namespace, workdir: Path, count: int) -> FanoutRun:
    ready = workdir / f"stack-{count}.json"
    argv = [sys.executable, "-m", "emulator.cli", "dev", "--host", LOOPBACK]
    argv += ["--http-port", "0", "--ws-port", "0", "--store-port", "0", "--no-reload"]
    argv += ["--quiet-functions", "--no-media-node", "--ready-file", str(ready)]
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(STACK_ENV, PARLEY_DATA_DIR=str(workdir / f"data-{count}"))
    child = await spawn("parley dev", argv, workdir / f"stack-{count}.log", env=env)
    try:
        info = await wait_for_ready_file(child, ready, timeout_s=180)
        started = time.monotonic()
        users = min(count, args.max_users)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            api = Api(http, info["http_url"])
            sender, tokens, channel = await _members(api, users)
            async with subscribed(http, info["ws_url"], tokens, count, 120) as subscribers:
                setup_s = time.monotonic() - started
                gap = args.gap if args.gap is not None else count / args.offered
                await _send_paced(api, sender, channel, 0, args.warmup, gap)
                await _all_arrived(subscribers, range(args.warmup), 120)
                child.remember_descendants()
                sampler = CpuSampler(child.pid, "emulator", classify_stack_child)
                before = sampler.snapshot()
                measured = range(args.warmup, args.warmup + args.messages)
                began = time.monotonic()
                await _send_paced(api, sender, channel, measured.start, len(measured), gap)
                await _all_arrived(subscribers, measured, args.deliver_timeout)
                wall = time.monotonic() - began
                cpu = cpu_delta(before, sampler.snapshot())
                latencies = [s.arrivals[n] for s in subscribers for n in measured]
                # Per message: its first delivery (the pipeline) and its last (plus the width).
                firsts = [min(s.arrivals[n] for s in subscribers) for n in measured]
                lasts = [max(s.arrivals[n] for s in subscribers) for n in measured]
                # Capacity: a burst sent back to back, until its last delivery.
                burst = range(measured.stop, measured.stop + args.burst)
                burst_began = time.monotonic()
                await _send_paced(api, sender, channel, burst.start, len(burst), 0.0)
                await _all_arrived(subscribers, burst, args.deliver_timeout)
                burst_wall = time.monotonic() - burst_began
        if child.process.returncode is not None:
            raise BenchError(f"parley dev exited during the run:\n{child.log_tail()}")
        return FanoutRun(
            subscribers=count,
            users=users,
            messages=len(measured),
            deliveries=len(latencies),
            expected=count * len(measured),
            wall_s=wall,
            latencies_s=latencies,
            first_s=firsts,
            last_s=lasts,
            cpu_s=dict(cpu.by_component),
            cpu_by_function={
                label: seconds
                for (component, label), seconds in cpu.by_label.items()
                if component == "workers"
            },
            setup_s=setup_s,
            gap_s=gap,
            burst_messages=len(burst),
            burst_wall_s=burst_wall,
        )
    except BenchError as exc:
        raise BenchError(f"{exc}\nthe stack's log ends:\n{child.log_tail(60)}") from exc
    finally:
        await child.stop()


# ---------------------------------------------------------------------------- posting CPU
async def sink_server(ready_file: Path) -> None:
    """Answers every @connections POST with 200, as API Gateway does for a live connection."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/{stage}/@connections/{connection_id}", handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, LOOPBACK, 0).start()
        port = int(runner.addresses[0][1])
        write_ready_file(ready_file, {"endpoint": f"http://{LOOPBACK}:{port}/v1"})
        await stop.wait()
    finally:
        await runner.cleanup()


async def posting_pass(workdir: Path, posts: int) -> dict[str, float]:
    """CPU µs per POST in this process: boto3's post_to_connection vs the shipped Poster."""
    from shared.gateway.poster import Delivery, Poster

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    ready = workdir / "sink.json"
    child = await spawn(
        "sink",
        [sys.executable, "-m", "bench.fanout", "sink-server", "--ready-file", str(ready)],
        workdir / "sink.log",
    )
    try:
        endpoint = (await wait_for_ready_file(child, ready, timeout_s=60))["endpoint"]
        frame = json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": 1, "d": {"x": "y" * 200}})
        body = frame.encode()
        client = boto3.client(
            "apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1"
        )
        client.post_to_connection(ConnectionId="warm", Data=body)
        cpu = time.process_time()
        for n in range(posts):
            await asyncio.to_thread(client.post_to_connection, ConnectionId=f"c{n}", Data=body)
        boto3_us = (time.process_time() - cpu) / posts * 1e6
        poster = Poster("us-east-1", concurrency=64)
        deliveries = [Delivery(f"c{n}", endpoint, [body]) for n in range(posts)]
        try:
            poster.send(deliveries[:10])  # blocks this loop: nothing else runs on it meanwhile
            cpu = time.process_time()
            results = poster.send(deliveries)
            poster_us = (time.process_time() - cpu) / posts * 1e6
        finally:
            poster.close()
        if sum(r.sent for r in results) != posts:
            raise BenchError("the poster did not deliver every POST")
        return {"boto3_post_to_connection": boto3_us, "poster": poster_us}
    finally:
        await child.stop()


# ---------------------------------------------------------------------------- report
def report(
    baseline: dict[str, float], posting: dict[str, float], runs: list[FanoutRun]
) -> dict[str, Any]:
    rows = []
    figures: dict[str, Any] = {}
    for run in runs:
        p50 = percentile(run.latencies_s, 50) * 1000
        p99 = percentile(run.latencies_s, 99) * 1000
        per_delivery = 1e6 / run.deliveries if run.deliveries else float("nan")
        stack_us = sum(v for k, v in run.cpu_s.items() if k != "client") * per_delivery
        # The path we ship: the fan-out function's own CPU. On AWS the store (DynamoDB) and
        # the @connections endpoint (API Gateway) are not ours; locally they are moto and the
        # emulator, reported beside it.
        cpu_us = run.cpu_by_function.get(FANOUT_FUNCTION, 0.0) * per_delivery
        paced = run.deliveries / run.wall_s if run.wall_s > 0 else float("nan")
        burst = run.burst_messages * run.subscribers
        rate = burst / run.burst_wall_s if run.burst_wall_s > 0 else float("nan")
        target = TARGET_P99_MS.get(run.subscribers)
        figures[str(run.subscribers)] = {
            "users": run.users,
            "messages": run.messages,
            "deliveries": run.deliveries,
            "setup_s": round(run.setup_s, 1),
            "latency_ms": {
                "p50": round(p50, 1),
                "p99": round(p99, 1),
                "max": round(max(run.latencies_s) * 1000, 1),
            },
            # Each message's first delivery (send → stored → sequenced → first POST) and its
            # last: where the time goes, the pipeline or the width of the fan-out.
            "first_delivery_ms": {
                "p50": round(percentile(run.first_s, 50) * 1000, 1),
                "max": round(max(run.first_s) * 1000, 1),
            },
            "last_delivery_ms": {
                "p50": round(percentile(run.last_s, 50) * 1000, 1),
                "max": round(max(run.last_s) * 1000, 1),
            },
            "p50_vs_echo_round_trip": round(p50 / baseline["p50_ms"], 1),
            "seconds_between_messages": round(run.gap_s, 2),
            "paced_deliveries_per_s": round(paced, 1),
            "deliveries_per_s": round(rate, 1),
            "burst": {"messages": run.burst_messages, "wall_s": round(run.burst_wall_s, 2)},
            "cpu_us_per_delivery": round(cpu_us, 1),
            "stack_cpu_us_per_delivery": round(stack_us, 1),
            "cpu_us_per_delivery_by_component": {
                k: round(v * per_delivery, 1) for k, v in sorted(run.cpu_s.items())
            },
            "cpu_us_per_delivery_by_function": {
                k: round(v * per_delivery, 1) for k, v in sorted(run.cpu_by_function.items())
            },
            "target_p99_ms": target,
            "p99_within_target": target is not None and p99 < target,
            "cpu_within_target": cpu_us < TARGET_CPU_US,
        }
        rows.append(
            [
                run.subscribers,
                run.deliveries,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{rate:.0f}",
                f"{cpu_us:.0f}",
                f"{stack_us:.0f}",
                f"{target:g}" if target else "-",
            ]
        )
    print_table(
        [
            "subscribers",
            "deliveries",
            "p50 ms",
            "p99 ms",
            "deliv/s",
            "fan-out CPU µs/deliv",
            "stack CPU µs/deliv",
            "p99 aim",
        ],
        rows,
    )
    ratio = posting["boto3_post_to_connection"] / posting["poster"]
    print(
        f"\nbaseline echo round trip p50 {baseline['p50_ms']:.2f} ms, "
        f"CPU {baseline['cpu_us_per_rt']:.0f} µs"
    )
    print(
        f"one @connections POST: boto3 {posting['boto3_post_to_connection']:.0f} µs CPU, "
        f"the shipped poster {posting['poster']:.0f} µs ({ratio:.1f}x less)"
    )
    return {
        "machine": machine_info(),
        "baseline_echo": {k: round(v, 2) for k, v in baseline.items()},
        "posting_cpu_us": {
            **{k: round(v, 1) for k, v in posting.items()},
            "boto3_over_poster": round(ratio, 2),
        },
        "fanout": figures,
    }


async def run(args: argparse.Namespace) -> int:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="parley-fanout-") as tmp:
        workdir = Path(tmp)
        print("baseline: aiohttp echo server …", flush=True)
        echo, echo_cpu = await baseline_pass(
            LoadConfig(
                clients=4, round_trips=500, warmup=50, reply_timeout_s=30, phase_timeout_s=300
            ),
            workdir,
        )
        baseline = {
            "p50_ms": echo.latency_ms(50),
            "p99_ms": echo.latency_ms(99),
            "cpu_us_per_rt": echo_cpu.by_component.get("server", 0.0) / echo.round_trips * 1e6,
        }
        print("posting: boto3 post_to_connection vs the poster …", flush=True)
        posting = await posting_pass(workdir, args.posts)
        runs = []
        for count in args.subscribers:
            print(f"fan-out: {count} subscribers …", flush=True)
            runs.append(await fanout_pass(args, workdir, count))
    figures = report(baseline, posting, runs)
    path = write_results(args.out.stem, figures, args.out.parent)
    print(f"\nwritten: {path}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "sink-server"])
    parser.add_argument("--ready-file", type=Path)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--max-users", type=int, default=100, help="users holding them (100)")
    parser.add_argument("--messages", type=int, default=30, help="measured, per pass (30)")
    parser.add_argument("--warmup", type=int, default=3, help="messages before measuring (3)")
    parser.add_argument(
        "--offered",
        type=float,
        default=200.0,
        help="deliveries per second offered while measuring latency: one message every "
        "subscribers/offered seconds (200: 0.5 s for 100, 5 s for 1,000)",
    )
    parser.add_argument("--gap", type=float, help="seconds between sends (overrides --offered)")
    parser.add_argument(
        "--burst", type=int, default=10, help="messages sent back to back for capacity (10)"
    )
    parser.add_argument("--posts", type=int, default=2000, help="POSTs per posting run (2000)")
    parser.add_argument("--deliver-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "fanout.json")
    args = parser.parse_args(argv)
    if args.mode == "sink-server":
        asyncio.run(sink_server(args.ready_file))
        return
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
