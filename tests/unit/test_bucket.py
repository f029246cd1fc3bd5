"""Token bucket arithmetic: n requests allowed, the n+1st refused, refill over time."""

from __future__ import annotations

import pytest

from shared.limits.domain.bucket import Rate, take


def test_capacity_allowed_then_refused_with_retry_after() -> None:
    rate = Rate.parse("5/60")
    state = None
    for n in range(5):
        decision = take(rate, state, 1_000)
        assert decision.allowed, n
        assert decision.remaining == 4 - n
        state = decision.state
    refused = take(rate, state, 1_000)
    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after_s == pytest.approx(12.0)  # one token per 12 s
    assert refused.reset_after_s == pytest.approx(60.0)
    assert refused.state == state  # a refusal spends nothing


def test_refill_gives_one_token_after_its_interval() -> None:
    rate = Rate(2, 10)
    state = take(rate, None, 0).state
    state = take(rate, state, 0).state
    assert not take(rate, state, 4_999).allowed
    later = take(rate, state, 5_000)
    assert later.allowed and later.remaining == 0
    full = take(rate, state, 3_600_000)
    assert full.allowed and full.remaining == 1  # never above capacity


@pytest.mark.parametrize("spec", ["", "0/60", "5", "5/", "-1/3", "a/b", "5/60/1"])
def test_bad_rate_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(spec)
