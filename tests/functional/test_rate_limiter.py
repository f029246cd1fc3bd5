"""The shared limiter under concurrency: buckets in the store, conditional writes, no double
spend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.errors import RateLimited
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit, enforce

LIMIT = Limit("test.concurrent", lambda: Rate(10, 3600))


def _try(subject: str) -> bool:
    try:
        enforce([(LIMIT, subject)])
        return True
    except RateLimited:
        return False


def test_concurrent_takes_never_exceed_the_capacity(aws: None) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_try, ["shared-subject"] * 30))
    assert results.count(True) == 10
    assert results.count(False) == 20


def test_subjects_have_their_own_buckets(aws: None) -> None:
    assert all(_try("a") for _ in range(10))
    assert not _try("a")
    assert _try("b")


def test_refusal_carries_the_contract_headers(aws: None) -> None:
    for _ in range(10):
        _try("c")
    with pytest.raises(RateLimited) as refused:
        enforce([(LIMIT, "c")])
    assert refused.value.headers["X-RateLimit-Limit"] == "10"
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
    assert refused.value.headers["X-RateLimit-Bucket"] == "test.concurrent"
    assert refused.value.retry_after > 300  # one token per 360 s
