"""Speed only: moto's TransactWriteItems deep-copies the whole table as its rollback point,
*including the stream's record history*, which only grows. Each transaction then costs time in
proportion to every write made before it, and a test with a few hundred writes crawls.

Stream records are never changed once appended, so a rollback point needs only a copy of the
*list* of records, not of the records themselves. This replaces the shard's deep copy with
exactly that; what moto stores and answers is unchanged (a rolled-back transaction still drops
the records it appended). The same growth affects `parley dev`'s embedded store (reported to
the lead); the embedded store (emulator/store_server.py) and the tests apply it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.table import StreamShard

__all__ = ["light_stream_snapshots"]


def _snapshot(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
    clone = copy.copy(self)
    memo[id(self)] = clone
    clone.table = memo.get(id(self.table), self.table)
    clone.items = list(self.items)
    return clone


_HOOK = "__deepcopy__"


@contextmanager
def light_stream_snapshots() -> Iterator[None]:
    """While inside: a shard's rollback copy copies its list of records, not the records."""
    had = _HOOK in StreamShard.__dict__
    previous = StreamShard.__dict__.get(_HOOK)
    setattr(StreamShard, _HOOK, _snapshot)
    try:
        yield
    finally:
        if had:
            setattr(StreamShard, _HOOK, previous)
        else:
            delattr(StreamShard, _HOOK)
