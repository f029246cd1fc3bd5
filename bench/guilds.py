"""Benchmarks of the guild area, each against a baseline measured in the same run.

1. The permission function for a member with 50 roles in a channel with 100 overwrites
   (µs per call), against OR-ing the same 50 role bitfields (the least any such function
   must do).
2. ``GET /users/@me/guilds`` for a user in 200 guilds, through the guilds function's
   ``lambda_handler`` against the embedded store's server (``emulator.store_server``, in its
   own process, as ``parley dev`` runs it), against one GetItem through the same client.

Run: ``uv run --frozen python -m bench.guilds``. Figures are printed and written to
``bench/results/guilds.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "guilds.json"
TABLE = "parley-bench"


# ---------------------------------------------------------------- 1. the permission function


def bench_permissions(repeat: int) -> dict[str, Any]:
    """µs per call of compute_permissions (50 roles, 100 overwrites) and of the OR baseline."""
    from shared.guilds.domain.permissions import (
        DEFAULT_EVERYONE,
        Overwrite,
        OverwriteType,
        Permission,
        compute_permissions,
    )

    guild_id, user_id = 10_000, 20_000
    roles = {100 + i: (1 << (i % 40)) & ~int(Permission.ADMINISTRATOR) for i in range(50)}
    overwrites: dict[int, Overwrite] = {
        guild_id: Overwrite(guild_id, OverwriteType.ROLE, deny=int(Permission.SEND_MESSAGES))
    }
    no_admin = ~int(Permission.ADMINISTRATOR)
    for i in range(98):  # 50 of the member's roles, 48 of other roles
        role_id = 100 + i
        overwrites[role_id] = Overwrite(
            role_id,
            OverwriteType.ROLE,
            allow=(1 << (i % 30)) & no_admin,
            deny=(1 << ((i + 7) % 30)) & no_admin,
        )
    overwrites[user_id] = Overwrite(
        user_id, OverwriteType.MEMBER, allow=int(Permission.SEND_MESSAGES)
    )
    assert len(overwrites) == 100

    def compute() -> Permission:
        return compute_permissions(
            guild_id=guild_id,
            owner_id=1,
            user_id=user_id,
            everyone=int(DEFAULT_EVERYONE),
            roles=roles,
            overwrites=overwrites,
        )

    bits = list(roles.values())

    def baseline() -> int:
        value = int(DEFAULT_EVERYONE)
        for b in bits:
            value |= b
        return value

    def per_call_us(fn: Callable[[], object]) -> float:
        timer = timeit.Timer(fn)
        number, _ = timer.autorange()
        runs = timer.repeat(repeat=repeat, number=number)
        return min(runs) / number * 1e6

    compute_us = per_call_us(compute)
    baseline_us = per_call_us(baseline)
    return {
        "roles": len(roles),
        "overwrites": len(overwrites),
        "compute_us": round(compute_us, 3),
        "baseline_or_loop_us": round(baseline_us, 3),
        "ratio": round(compute_us / baseline_us, 2),
    }


# ---------------------------------------------------------------- 2. GET /users/@me/guilds


@contextmanager
def store_server() -> Iterator[str]:
    """The embedded store (moto, keep-alive) in its own process, on an ephemeral port, with a
    fresh key pair that this process signs with too."""
    from emulator.store_credentials import StoreCredentials

    os.environ.update(StoreCredentials.new().env())
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.store_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"the store did not start: {line!r}")
        yield f"http://{line.split(' ', 1)[1]}"
    finally:
        process.terminate()
        process.wait(10)


@dataclasses.dataclass
class _Context:
    function_name: str = "bench"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id: str = "bench"


def _event(path: str, user: int, query: dict[str, str]) -> dict[str, Any]:
    from urllib.parse import urlencode

    from emulator.events import HttpRequestFacts, http_api_event

    pairs = list(query.items())
    return http_api_event(
        HttpRequestFacts(
            method="GET",
            path=f"/api/v1{path}",
            raw_query=urlencode(pairs),
            query=pairs,
            headers=[],
            body=b"",
            source_ip="127.0.0.1",
            domain_name="bench",
            api_id="bench",
            route_key=f"GET /api/v1{path}",
            authorizer={"jwt": {"claims": {"sub": str(user)}, "scopes": None}},
        )
    )


def _seed(user: int, guilds: int) -> None:
    """``guilds`` guilds with ``user`` a member of each (batch writes: set-up, not measured)."""
    from datetime import UTC, datetime

    from shared.guilds.domain.guild import Guild
    from shared.guilds.domain.member import Member
    from shared.guilds.storage import members as member_store
    from shared.guilds.storage.guilds import GuildRecord
    from shared.guilds.storage.members import MemberRecord
    from shared.ids import new_id
    from shared.table.keys import GUILD_SK, guild_pk

    now = datetime.now(UTC)
    with GuildRecord.batch_write() as batch:
        ids = []
        for i in range(guilds):
            guild = Guild(id=new_id(), name=f"guild {i}", owner_id=new_id(), created_at=now)
            ids.append(guild.id)
            batch.save(
                GuildRecord(
                    guild_pk(guild.id),
                    GUILD_SK,
                    guild_id=guild.id,
                    name=guild.name,
                    owner_id=guild.owner_id,
                    created_at=now,
                    member_count=2,
                    channel_count=2,
                    role_count=1,
                )
            )
    with MemberRecord.batch_write() as batch:
        for guild_id in ids:
            batch.save(
                member_store.record_of(Member(guild_id=guild_id, user_id=user, joined_at=now), 1)
            )


def bench_my_guilds(guilds: int, runs: int) -> dict[str, Any]:
    """ms per GET /users/@me/guilds (``guilds`` memberships) and per single GetItem."""
    with store_server() as endpoint:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "PARLEY_TABLE_NAME": TABLE,
                "AWS_DEFAULT_REGION": "us-east-1",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        from emulator.store import ensure_tables
        from emulator.template import load_template

        spec = dataclasses.replace(
            load_template(ROOT / "template.yaml").tables["Table"], name=TABLE
        )
        ensure_tables(endpoint, "us-east-1", [spec])

        from aws_lambda_powertools.utilities.typing import LambdaContext

        from functions.guilds.app import lambda_handler
        from shared.guilds.storage.guilds import GuildRecord
        from shared.ids import new_id
        from shared.table.keys import GUILD_SK, guild_pk

        user = new_id()
        _seed(user, guilds)
        event = _event("/users/@me/guilds", user, {"limit": str(guilds)})
        context = cast(LambdaContext, _Context())
        answer = lambda_handler(event, context)
        listed = json.loads(answer["body"])
        assert answer["statusCode"] == 200 and len(listed) == guilds, answer["statusCode"]
        probe = guild_pk(int(listed[0]["id"]))

        def handler_call() -> None:
            lambda_handler(event, context)

        def get_item() -> None:
            GuildRecord.get(probe, GUILD_SK, consistent_read=True)

        for _ in range(3):  # warm both paths
            handler_call()
            get_item()
        handler_ms = _median_ms(handler_call, runs)
        get_item_ms = _median_ms(get_item, runs * 4)
    return {
        "guilds": guilds,
        "handler_ms": round(handler_ms, 2),
        "baseline_get_item_ms": round(get_item_ms, 2),
        "ratio": round(handler_ms / get_item_ms, 1),
        "runs": runs,
    }


def _median_ms(fn: Callable[[], None], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--guilds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    results = {
        "permissions": bench_permissions(args.repeat),
        "my_guilds": bench_my_guilds(args.guilds, args.runs),
        "machine": {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)},
    }
    perms, mine = results["permissions"], results["my_guilds"]
    print(
        f"permissions ({perms['roles']} roles, {perms['overwrites']} overwrites): "
        f"{perms['compute_us']:.2f} µs/call; OR loop baseline {perms['baseline_or_loop_us']:.2f}"
        f" µs; ratio {perms['ratio']}"
    )
    print(
        f"GET /users/@me/guilds ({mine['guilds']} guilds, handler + moto server): "
        f"{mine['handler_ms']:.1f} ms median; one GetItem {mine['baseline_get_item_ms']:.2f} ms;"
        f" ratio {mine['ratio']}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
