"""Two concurrent joins on a 1-use invite: exactly one succeeds.

Real concurrency: two client processes (each with the invites function loaded, as two Lambda
containers would) released together by a barrier, against one moto server over loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional import race

ROUNDS = 6
TABLE = "parley-race"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with race.table_server(TABLE) as endpoint:
        yield endpoint


def test_two_joins_racing_for_the_last_use_exactly_one_wins(server: str) -> None:
    overlapped = 0
    with race.contest(server, TABLE, race.organiser, race.joiner) as contest:
        for _ in range(ROUNDS):
            guild_id, owner, code, users = contest.ask("new")
            results = contest.round([(code, user) for user in users])
            assert sorted(status for status, _, _ in results) == [200, 404], results
            (_, *one), (_, *other) = results
            overlapped += race.overlapped(tuple(one), tuple(other))
            assert contest.ask("count", guild_id, owner) == (2, 2)  # the owner and one joiner
    # the requests really ran at the same time (in most rounds; at least once for certain)
    assert overlapped >= 1
