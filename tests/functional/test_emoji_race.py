"""Two concurrent uploads of a guild's 50th emoji: exactly one is taken.

Real concurrency: two client processes (each with the guilds function loaded, as two Lambda
containers would) released together by a barrier, against one moto server over loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.guilds.domain.size_limits import MAX_EMOJIS
from tests.functional import emoji_race, race

ROUNDS = 4
TABLE = "parley-emoji-race"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with race.table_server(TABLE) as endpoint:
        yield endpoint


def test_two_uploads_racing_for_the_50th_place_exactly_one_wins(server: str) -> None:
    overlapped = 0
    with race.contest(server, TABLE, emoji_race.organiser, emoji_race.uploader) as contest:
        for _ in range(ROUNDS):
            guild_id, owner = contest.ask("new")
            results = contest.round([(guild_id, owner)] * 2)
            outcomes = sorted((status, code) for status, code, _, _ in results)
            assert outcomes == [(201, None), (400, "max_emojis")], results
            (_, _, *one), (_, _, *other) = results
            overlapped += race.overlapped(tuple(one), tuple(other))
            assert contest.ask("count", guild_id, owner) == (MAX_EMOJIS, 1)
    assert overlapped >= 1
