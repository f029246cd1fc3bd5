"""Speed only: moto's TransactWriteItems deep-copies the whole table as its rollback point,
*including the stream's record history*, which only grows. Each transaction then costs time in
proportion to every write made before it, and a test with a few hundred writes crawls.

Stream records are never changed once appended, so a rollback point needs only a copy of the
*list* of records, not of the records themselves. This replaces the shard's deep copy with
exactly that; what moto stores and answers is unchanged (a rolled-back transaction still drops
the records it appended). The same growth affects `parley dev`'s embedded store (reported to
the lead); the embedded store (emulator/store_server.py) and the tests apply it.

Second, the same context makes the rollback point one copy per *table* per transaction: moto
copies the table once per *item* of the transaction (all copies identical, taken before any
item is applied), so a transaction of n items cost n whole-table copies.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard, Table

__all__ = ["light_stream_snapshots"]


def _snapshot(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
    clone = copy.copy(self)
    memo[id(self)] = clone
    clone.table = memo.get(id(self.table), self.table)
    clone.items = list(self.items)
    return clone


_HOOK = "__deepcopy__"
_COPY = "copy"
_TRANSACT = "transact_write_items"


class _TableCopiedOnce:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: within one
    ``transact_write_items`` call (per thread), a table is deep-copied once and that copy is
    answered again; everything else is the real ``copy``."""

    def __init__(self) -> None:
        self._local = threading.local()

    def deepcopy(self, obj: Any, memo: dict[int, Any] | None = None) -> Any:
        copies: dict[int, Any] | None = getattr(self._local, "copies", None)
        if copies is None or not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        if id(obj) not in copies:
            copies[id(obj)] = copy.deepcopy(obj, memo)
        return copies[id(obj)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def around(self, transact: Callable[..., Any]) -> Callable[..., Any]:
        def once_per_table(backend: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            self._local.copies = {}
            try:
                return transact(backend, *args, **kwargs)
            finally:
                self._local.copies = None

        return once_per_table


@contextmanager
def light_stream_snapshots() -> Iterator[None]:
    """While inside: a shard's rollback copy copies its list of records, not the records, and
    a transaction copies each table once, not once per item."""
    had = _HOOK in StreamShard.__dict__
    previous = StreamShard.__dict__.get(_HOOK)
    setattr(StreamShard, _HOOK, _snapshot)
    module_copy = dynamodb_models.copy
    transact = DynamoDBBackend.transact_write_items
    once = _TableCopiedOnce()
    setattr(dynamodb_models, _COPY, once)
    setattr(DynamoDBBackend, _TRANSACT, once.around(transact))
    try:
        yield
    finally:
        setattr(DynamoDBBackend, _TRANSACT, transact)
        setattr(dynamodb_models, _COPY, module_copy)
        if had:
            setattr(StreamShard, _HOOK, previous)
        else:
            delattr(StreamShard, _HOOK)
