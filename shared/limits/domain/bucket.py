"""Token bucket arithmetic. Pure: a rate, the bucket's last state and the time in; a decision out.

A bucket holds up to ``capacity`` tokens and refills continuously at ``capacity / period_s`` per
second; a request takes one token or is refused. A new bucket starts full.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["BucketState", "Decision", "Rate", "take"]

_SPEC = re.compile(r"^([1-9][0-9]{0,6})/([0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class Rate:
    capacity: int
    period_s: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.period_s <= 0:
            raise ValueError("a rate needs a capacity >= 1 and a period > 0")

    @property
    def per_second(self) -> float:
        return self.capacity / self.period_s

    @classmethod
    def parse(cls, spec: str) -> Rate:
        """``"5/60"``: five requests, refilled over sixty seconds."""
        match = _SPEC.fullmatch(spec.strip())
        if match is None:
            raise ValueError(f"not a rate: {spec!r} (expected '<capacity>/<seconds>')")
        return cls(int(match.group(1)), float(match.group(2)))


@dataclass(frozen=True)
class BucketState:
    tokens: float
    updated_ms: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    state: BucketState  # the state to store (unchanged when refused)
    limit: int
    remaining: int
    reset_after_s: float  # until the bucket is full again
    retry_after_s: float  # until one token is there (0 when allowed)


def take(rate: Rate, previous: BucketState | None, now_ms: int) -> Decision:
    """Take one token from the bucket at ``now_ms``, if there is one."""
    if previous is None:
        tokens = float(rate.capacity)
    else:
        elapsed_s = max(0, now_ms - previous.updated_ms) / 1000
        tokens = min(float(rate.capacity), previous.tokens + elapsed_s * rate.per_second)
    allowed = tokens >= 1
    if allowed:
        tokens -= 1
    state = BucketState(tokens=tokens, updated_ms=now_ms)
    missing = rate.capacity - tokens
    return Decision(
        allowed=allowed,
        state=state if allowed else (previous or state),
        limit=rate.capacity,
        remaining=math.floor(tokens),
        reset_after_s=round(missing / rate.per_second, 3),
        retry_after_s=0.0 if allowed else round((1 - tokens) / rate.per_second, 3),
    )
