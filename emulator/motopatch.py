"""Speed only: moto's TransactWriteItems keeps its rollback point by deep-copying every table the
transaction names: every item, and the stream's whole record history. A transaction then costs
time in proportion to everything ever written, and a local stack slows down the longer it runs
(a thousand-message test crawled to seconds per send).

A rollback needs far less: the items the transaction may write (it names their keys) as they
were, and how long each table's stream was. :func:`cheap_transactions` keeps exactly that,
lets moto run the transaction unchanged on the live table (its own "copy" becomes the table
itself), and on failure puts those items back and cuts the stream back to its length. What moto
stores and answers is unchanged: a cancelled transaction leaves no item and no stream record
behind. The live table object is never swapped for a copy either, so stream readers keep their
shard (a swap orphaned the iterators of a stream consumer).

moto also ignores TransactWriteItems' ``ClientRequestToken``. DynamoDB treats a repeat of a
token within ten minutes as the same request: it succeeds without writing again (a different
request under the same token is refused). Clients lean on that: botocore repeats a call whose
answer timed out, and without the token a repeated insert of a new item fails its own
``attribute_not_exists`` check (a message then sent twice under two ids). The patch keeps the
tokens of committed transactions for ten minutes, as DynamoDB does.

The embedded store (emulator/store_server.py) and the functional tests apply it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

__all__ = ["cheap_transactions"]

_Key = tuple[str, DynamoType, DynamoType | None]


class _RollbackPoint:
    """What a transaction may change, as it was before: items by key and stream lengths."""

    def __init__(self) -> None:
        self.items: dict[_Key, tuple[Table, Item | None]] = {}
        self.streams: dict[str, tuple[Table, int]] = {}

    def keep(self, backend: DynamoDBBackend, op: dict[str, Any], put: bool) -> None:
        table = backend.tables.get(op.get("TableName", ""))
        if table is None:
            return  # moto refuses the transaction before writing anything
        attrs = op.get("Item" if put else "Key") or {}
        if table.hash_key_attr not in attrs:
            return
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attrs:
                return
            range_value = DynamoType(attrs[table.range_key_attr])
        key = (table.name, hash_value, range_value)
        if key not in self.items:
            self.items[key] = (table, copy.deepcopy(table.get_item(hash_value, range_value)))
        if table.name not in self.streams and table.stream_shard is not None:
            self.streams[table.name] = (table, len(table.stream_shard.items))

    def restore(self) -> None:
        for (_, hash_value, range_value), (table, item) in self.items.items():
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:  # a table without a range key keeps the item itself under its hash
                    cast(dict[DynamoType, Item], table.items)[hash_value] = item
            elif item is None:
                table.items[hash_value].pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
        for table, length in self.streams.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _same_table(self: Table, memo: dict[int, Any]) -> Table:
    return self


_DEEPCOPY = "__deepcopy__"
_METHOD = "transact_write_items"
#: How long DynamoDB remembers a transaction's client token.
TOKEN_TTL_S = 600.0


class IdempotentParameterMismatch(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but different, request.",
        )


class _Tokens:
    """Committed transactions' client tokens: token -> (the request's items, when)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, float]] = {}

    def repeat(self, token: str, items: str) -> bool:
        """True if this exact request committed under ``token`` lately; raises on a mismatch."""
        now = time.monotonic()
        self._seen = {t: v for t, v in self._seen.items() if now - v[1] < TOKEN_TTL_S}
        seen = self._seen.get(token)
        if seen is None:
            return False
        if seen[0] != items:
            raise IdempotentParameterMismatch
        return True

    def committed(self, token: str, items: str) -> None:
        self._seen[token] = (items, time.monotonic())


#: How many cheap_transactions() are open: only the outermost patches (nesting is harmless).
_open = [0]


@contextmanager
def cheap_transactions() -> Iterator[None]:
    """While inside: transactions keep only what they may change as their rollback point, and
    a repeat of a committed transaction's client token succeeds without writing again."""
    _open[0] += 1
    try:
        if _open[0] > 1:
            yield
        else:
            with _patched():
                yield
    finally:
        _open[0] -= 1


@contextmanager
def _patched() -> Iterator[None]:
    original: Callable[[DynamoDBBackend, list[dict[str, Any]]], None]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        point = _RollbackPoint()
        for entry in transact_items if len(transact_items) <= 100 else []:
            for op_type, op in entry.items():
                if isinstance(op, dict):
                    point.keep(self, op, put=op_type == "Put")
        setattr(Table, _DEEPCOPY, _same_table)
        try:
            original(self, transact_items)
        except BaseException:
            point.restore()
            raise
        finally:
            delattr(Table, _DEEPCOPY)

    tokens = _Tokens()
    handle: Callable[[DynamoHandler], Any] = DynamoHandler.transact_write_items

    def handle_once(self: DynamoHandler) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return handle(self)
        items = json.dumps(self.body.get("TransactItems"), sort_keys=True)
        if tokens.repeat(token, items):
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        answer = handle(self)
        tokens.committed(token, items)
        return answer

    if _DEEPCOPY in Table.__dict__:
        raise RuntimeError("moto's Table defines __deepcopy__ now: review cheap_transactions")
    setattr(DynamoDBBackend, _METHOD, transact_write_items)
    setattr(DynamoHandler, _METHOD, handle_once)
    try:
        yield
    finally:
        setattr(DynamoDBBackend, _METHOD, original)
        setattr(DynamoHandler, _METHOD, handle)
