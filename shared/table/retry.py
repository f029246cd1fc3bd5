"""Commands that read, decide and write with a version condition run again when the item
changed in between (optimistic concurrency: no lost updates, no locks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random

from shared.table.transaction import StaleWrite

__all__ = ["retry_stale"]

P = ParamSpec("P")
T = TypeVar("T")


def retry_stale(command: Callable[P, T]) -> Callable[P, T]:
    """Re-run ``command`` (from its reads) up to three times on :class:`StaleWrite`; the last
    failure reaches the client as a 409 it may retry."""
    return retry(
        retry=retry_if_exception_type(StaleWrite),
        stop=stop_after_attempt(3),
        wait=wait_random(0, 0.05),
        reraise=True,
    )(command)
