"""Two concurrent opens of the same DM (one from each side) get the same channel; two
concurrent adds to a group of nine make it ten, never eleven.

Real concurrency, as in test_invite_race.py: two client processes released together by a
barrier, against one moto server over loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional import dm_race, race

ROUNDS = 6
TABLE = "parley-dm-race"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with race.table_server(TABLE) as endpoint:
        yield endpoint


def test_two_opens_of_one_pair_racing_get_one_channel(server: str) -> None:
    overlapped = 0
    with race.contest(server, TABLE, dm_race.organiser, dm_race.opener) as contest:
        for _ in range(ROUNDS):
            a, b = contest.ask("new")
            results = contest.round([(a, b), (b, a)])
            assert sorted(status for status, _, _, _ in results) == [200, 201], results
            (_, first, *one), (_, second, *other) = results
            assert first == second and first is not None
            overlapped += race.overlapped(tuple(one), tuple(other))
            for user in (a, b):
                assert contest.ask("list", user) == [first]  # one DM each, the same
    # the requests really ran at the same time (in most rounds; at least once for certain)
    assert overlapped >= 1


def test_two_adds_racing_into_a_group_of_nine_make_ten_never_eleven(server: str) -> None:
    overlapped = 0
    with race.contest(server, TABLE, dm_race.organiser, dm_race.adder) as contest:
        for _ in range(ROUNDS):
            channel, owner, (x, y) = contest.ask("group")
            results = contest.round([(channel, owner, x), (channel, owner, y)])
            outcomes = sorted((status, code) for status, code, _, _ in results)
            assert outcomes == [(204, None), (400, "max_recipients")], results
            (_, _, *one), (_, _, *other) = results
            overlapped += race.overlapped(tuple(one), tuple(other))
            recipients = contest.ask("recipients", channel, owner)
            assert len(recipients) == 9 and len({str(x), str(y)} & set(recipients)) == 1
    assert overlapped >= 1
