"""The frame budget of one gateway connection: so many frames per fixed window. Pure.

Discord allows a connection 120 frames per 60 s, heartbeats included, and closes it with 4008
past that. Windows are counted from the connection's start (``connectedAt``) by the time API
Gateway received each frame (``requestTimeEpoch``), so concurrent invocations agree on the
window a frame belongs to. The frame that goes one past the budget closes the connection;
frames still in flight after it are dropped unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.limits.domain.bucket import Rate

__all__ = ["CLOSE_CODE", "CLOSE_REASON", "FrameBudget", "Verdict"]

#: Discord's close code and reason for a client that sent too many frames.
CLOSE_CODE = 4008
CLOSE_REASON = "Rate limited."


class Verdict(Enum):
    ANSWER = "answer"  # within the budget: handle the frame
    CLOSE = "close"  # the first frame past it: close the connection
    DROP = "drop"  # later frames of a connection being closed: ignore


@dataclass(frozen=True)
class FrameBudget:
    frames: int
    window_ms: int

    def __post_init__(self) -> None:
        if self.frames < 1 or self.window_ms < 1:
            raise ValueError("a frame budget needs at least one frame and a window")

    @classmethod
    def of(cls, rate: Rate) -> FrameBudget:
        """``"120/60"``: 120 frames per 60-second window."""
        return cls(rate.capacity, round(rate.period_s * 1000))

    def window(self, connected_ms: int, received_ms: int) -> int:
        """The index of the window a frame received at ``received_ms`` counts in."""
        return max(0, received_ms - connected_ms) // self.window_ms

    def window_ends_ms(self, connected_ms: int, window: int) -> int:
        """When window ``window`` ends (its count may be forgotten after that)."""
        return connected_ms + (window + 1) * self.window_ms

    def verdict(self, count: int) -> Verdict:
        """What to do with the frame that made the window's count ``count``."""
        if count <= self.frames:
            return Verdict.ANSWER
        return Verdict.CLOSE if count == self.frames + 1 else Verdict.DROP
