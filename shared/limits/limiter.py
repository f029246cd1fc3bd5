"""The reusable rate limiter: named limits, each a token bucket per subject (an IP, an account).

``enforce`` takes one token from every bucket that applies and either returns the tightest
decision (for the ``X-RateLimit-*`` headers of the answer) or raises :class:`RateLimited` with
the headers and ``Retry-After`` of the bucket that refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.errors import RateLimited
from shared.limits.domain.bucket import Decision, Rate, take
from shared.limits.storage.buckets import take_token

__all__ = ["Limit", "Outcome", "enforce", "rate_headers", "subject_digest"]


@dataclass(frozen=True)
class Limit:
    """A named limit: its rate (read when applied, so settings decide) and the subject counted."""

    name: str
    rate: Callable[[], Rate]


@dataclass(frozen=True)
class Outcome:
    bucket: str
    decision: Decision


def subject_digest(value: str) -> str:
    """A subject as stored: hashed, so that bucket keys carry no email address or IP."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def rate_headers(outcome: Outcome) -> dict[str, str]:
    """Discord's rate limit headers for one bucket's decision."""
    decision = outcome.decision
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset-After": f"{decision.reset_after_s:.3f}",
        "X-RateLimit-Bucket": outcome.bucket,
    }


def enforce(checks: Sequence[tuple[Limit, str]]) -> Outcome | None:
    """Take a token from each ``(limit, subject)`` bucket; the tightest outcome, or RateLimited."""
    tightest: Outcome | None = None
    for limit, subject in checks:
        decision = take_token(limit.name, subject_digest(subject), limit.rate(), take)
        outcome = Outcome(limit.name, decision)
        if not decision.allowed:
            raise RateLimited(
                "You are being rate limited.",
                retry_after=decision.retry_after_s,
                headers=rate_headers(outcome),
            )
        if tightest is None or decision.remaining < tightest.decision.remaining:
            tightest = outcome
    return tightest
