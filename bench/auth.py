"""Auth benchmark: login and authenticated-request rates through the emulator, each against
``GET /api/v1/health`` in the same run (as ratios), and bcrypt's time per hash by cost.

    uv run python -m bench.auth [--requests 200] [--concurrency 4] [--cost 12]

Starts its own ``parley dev`` on ephemeral ports (real template.yaml, embedded store), prints
the figures and writes them to ``bench/results/auth.json``. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "bench" / "results" / "auth.json"
PASSWORD = "correct horse battery"


def start_stack(workdir: Path, cost: int) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = workdir / "ready.json"
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(
        {
            "PARLEY_BCRYPT_COST": str(cost),
            "PARLEY_DATA_DIR": str(workdir / "data"),
            # the benchmark logs in far faster than any person: lift the auth limits
            "PARLEY_RATE_LOGIN_PER_IP": "1000000/1",
            "PARLEY_RATE_LOGIN_PER_ACCOUNT": "1000000/1",
            "PARLEY_RATE_LOGIN_PER_ACCOUNT_IP": "1000000/1",
            "PARLEY_RATE_REGISTER_PER_IP": "1000000/1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    args = [sys.executable, "-m", "emulator.cli", "dev", "--no-reload", "--quiet-functions"]
    args += ["--no-media-node"]
    args += ["--http-port", "0", "--ws-port", "0", "--store-port", "0"]
    args += ["--ready-file", str(ready)]
    log = (workdir / "stack.log").open("wb")
    process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"parley dev did not start:\n{(workdir / 'stack.log').read_text()}")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())


async def rate(
    label: str, total: int, concurrency: int, call: Callable[[int], Awaitable[int]]
) -> dict[str, Any]:
    """Requests per second of ``call`` (which returns the status), ``concurrency`` at a time."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))

    async def worker() -> None:
        for n in counter:
            started = time.perf_counter()
            status = await call(n)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    result = {
        "requests": total,
        "per_second": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "statuses": statuses,
    }
    print(f"  {label:<28} {result['per_second']:>8.1f} req/s  p50 {result['p50_ms']} ms")
    return result


async def measure(info: dict[str, Any], total: int, concurrency: int) -> dict[str, Any]:
    api = f"{info['http_url']}/api/v1"
    async with aiohttp.ClientSession() as session:
        users = []
        for _ in range(concurrency):
            name = f"bench{secrets.token_hex(4)}"
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            async with session.post(f"{api}/auth/register", json=body) as response:
                assert response.status == 201, await response.text()
                users.append((name, (await response.json())["access_token"]))

        async def health(_: int) -> int:
            async with session.get(f"{api}/health") as response:
                await response.read()
                return response.status

        async def login(n: int) -> int:
            name = users[n % len(users)][0]
            body = {"login": name, "password": PASSWORD}
            async with session.post(f"{api}/auth/login", json=body) as response:
                await response.read()
                return response.status

        async def me(n: int) -> int:
            headers = {"Authorization": f"Bearer {users[n % len(users)][1]}"}
            async with session.get(f"{api}/users/@me", headers=headers) as response:
                await response.read()
                return response.status

        for warm in (health, login, me):  # cold starts and the JWKS fetch happen here
            await rate(f"(warm-up {warm.__name__})", concurrency * 2, concurrency, warm)
        figures = {
            "health": await rate("GET /health (baseline)", total, concurrency, health),
            "login": await rate("POST /auth/login", total, concurrency, login),
            "authenticated": await rate("GET /users/@me (JWT)", total, concurrency, me),
        }
    base = figures["health"]["per_second"]
    figures["ratios_to_health"] = {
        "login": round(figures["login"]["per_second"] / base, 3),
        "authenticated": round(figures["authenticated"]["per_second"] / base, 3),
    }
    return figures


def bcrypt_times(costs: list[int], repeats: int = 3) -> dict[str, float]:
    """Milliseconds per bcrypt hash at each cost (best of ``repeats``)."""
    times = {}
    for cost in costs:
        best = min(_hash_time(cost) for _ in range(repeats))
        times[str(cost)] = round(best * 1000, 1)
        print(f"  bcrypt cost {cost:<2}                {times[str(cost)]:>8.1f} ms per hash")
    return times


def _hash_time(cost: int) -> float:
    started = time.perf_counter()
    bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=cost))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cost", type=int, default=12, help="bcrypt cost of the stack")
    args = parser.parse_args()
    print(f"bcrypt (this machine, {platform.machine()}):")
    hashes = bcrypt_times([10, 11, 12, 13])
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        process, info = start_stack(Path(tmp), args.cost)
        try:
            print(
                f"through the emulator ({args.requests} requests, {args.concurrency} at a time, "
                f"bcrypt cost {args.cost}):"
            )
            figures = asyncio.run(measure(info, args.requests, args.concurrency))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    ratios = figures["ratios_to_health"]
    print(
        f"  login / health = {ratios['login']}, authenticated / health = {ratios['authenticated']}"
    )
    result = {
        "benchmark": "auth",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": vars(args),
        "bcrypt_ms_per_hash": hashes,
        **figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
