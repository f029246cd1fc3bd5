"""The gateway's frame budget, sans I/O: windows from the connection's start, the edge, and the
one frame that closes."""

from __future__ import annotations

import pytest

from shared.gateway.domain.frame_budget import FrameBudget, Verdict
from shared.limits.domain.bucket import Rate

DISCORD = FrameBudget.of(Rate.parse("120/60"))


def test_the_default_is_discord_s_budget() -> None:
    assert (DISCORD.frames, DISCORD.window_ms) == (120, 60_000)


def test_the_120th_frame_is_answered_the_121st_closes_later_ones_are_dropped() -> None:
    assert [DISCORD.verdict(n) for n in (1, 119, 120)] == [Verdict.ANSWER] * 3
    assert DISCORD.verdict(121) is Verdict.CLOSE
    assert [DISCORD.verdict(n) for n in (122, 500)] == [Verdict.DROP] * 2


@pytest.mark.parametrize(
    ("received_after_ms", "window"),
    [(0, 0), (59_999, 0), (60_000, 1), (125_000, 2), (-5, 0)],
)
def test_windows_count_from_the_connection_s_start(received_after_ms: int, window: int) -> None:
    connected = 1_700_000_000_000
    assert DISCORD.window(connected, connected + received_after_ms) == window


def test_a_window_ends_one_period_after_it_starts() -> None:
    assert DISCORD.window_ends_ms(1_000, 0) == 61_000
    assert DISCORD.window_ends_ms(1_000, 2) == 181_000


def test_a_budget_needs_frames_and_a_window() -> None:
    with pytest.raises(ValueError, match="at least one frame"):
        FrameBudget(0, 60_000)
