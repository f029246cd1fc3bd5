"""Two concurrent opens of the same DM (one from each side): both get the same channel.

Real concurrency, as in test_invite_race.py: two client processes released together by a
barrier, against one moto server over loopback.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Iterator

import pytest

from emulator.store import ensure_tables
from tests.functional import dm_race, race
from tests.functional.apigw import template

ROUNDS = 6
TABLE = "parley-dm-race"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with race.moto_server() as endpoint:
        spec = dataclasses.replace(template().tables["Table"], name=TABLE)
        ensure_tables(endpoint, "us-east-1", [spec])
        yield endpoint


def test_two_opens_of_one_pair_racing_get_one_channel(server: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    setup_here, setup_there = ctx.Pipe()
    setup = ctx.Process(target=dm_race.organiser, args=(server, TABLE, setup_there))
    pipes = [ctx.Pipe() for _ in range(2)]
    openers = [
        ctx.Process(target=dm_race.opener, args=(server, TABLE, barrier, there))
        for _, there in pipes
    ]
    for process in (setup, *openers):
        process.start()
    overlapped = 0
    try:
        for _ in range(ROUNDS):
            setup_here.send(("new",))
            assert setup_here.poll(120), "set-up did not answer"
            a, b = setup_here.recv()
            for (here, _), job in zip(pipes, [(a, b), (b, a)], strict=True):
                here.send(job)
            results = []
            for here, _ in pipes:
                assert here.poll(120), "an opener did not answer"
                results.append(here.recv())
            assert sorted(status for status, _, _, _ in results) == [200, 201], results
            (_, first, a_start, a_end), (_, second, b_start, b_end) = results
            assert first == second and first is not None
            overlapped += a_start < b_end and b_start < a_end
            for user in (a, b):
                setup_here.send(("list", user))
                assert setup_here.poll(120)
                assert setup_here.recv() == [first]  # one DM each, the same
    finally:
        setup_here.send(None)
        for here, _ in pipes:
            here.send(None)
        for process in (setup, *openers):
            process.join(30)
    # the requests really ran at the same time (in most rounds; at least once for certain)
    assert overlapped >= 1
