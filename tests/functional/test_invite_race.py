"""Two concurrent joins on a 1-use invite: exactly one succeeds.

Real concurrency: two client processes (each with the invites function loaded, as two Lambda
containers would) released together by a barrier, against one moto server over loopback.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Iterator

import pytest

from emulator.store import ensure_tables
from tests.functional import race
from tests.functional.apigw import template

ROUNDS = 6
TABLE = "parley-race"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with race.moto_server() as endpoint:
        spec = dataclasses.replace(template().tables["Table"], name=TABLE)
        ensure_tables(endpoint, "us-east-1", [spec])
        yield endpoint


def test_two_joins_racing_for_the_last_use_exactly_one_wins(server: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    setup_here, setup_there = ctx.Pipe()
    setup = ctx.Process(target=race.organiser, args=(server, TABLE, setup_there))
    pipes = [ctx.Pipe() for _ in range(2)]
    joiners = [
        ctx.Process(target=race.joiner, args=(server, TABLE, barrier, there)) for _, there in pipes
    ]
    for process in (setup, *joiners):
        process.start()
    overlapped = 0
    try:
        for _ in range(ROUNDS):
            setup_here.send(("new",))
            assert setup_here.poll(120), "set-up did not answer"
            guild_id, owner, code, users = setup_here.recv()
            for (here, _), user in zip(pipes, users, strict=True):
                here.send((code, user))
            results = []
            for here, _ in pipes:
                assert here.poll(120), "a joiner did not answer"
                results.append(here.recv())
            assert sorted(status for status, _, _ in results) == [200, 404], results
            (_, a_start, a_end), (_, b_start, b_end) = results
            overlapped += a_start < b_end and b_start < a_end
            setup_here.send(("count", guild_id, owner))
            assert setup_here.poll(120)
            assert setup_here.recv() == (2, 2)  # the owner and exactly one joiner
    finally:
        setup_here.send(None)
        for here, _ in pipes:
            here.send(None)
        for process in (setup, *joiners):
            process.join(30)
    # the requests really ran at the same time (in most rounds; at least once for certain)
    assert overlapped >= 1
