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

moto's Query reads the whole table for every call: it sorts every item of every partition (with
Python comparisons) and only then keeps the asked partition's. A Query costs time in proportion
to the table, where DynamoDB's costs in proportion to what it returns; a local stack's fan-out
(a Query per scope per batch) slowed down with every message stored. :func:`partition_queries`
hands moto's unchanged Query code the asked partition only (a base-table Query), or every item
unsorted (an index Query, which moto sorts itself afterwards): the same answers, without the
table-wide sort.

moto answers every request through a serializer that walks botocore's shape model value by
value. For DynamoDB's item reads and writes, and DynamoDB Streams' GetRecords, the answer is
already in its wire form (items are DynamoDB JSON), and the walk is nearly all of the cost: a
BatchGetItem of 100 sessions took some 50 ms. :func:`plain_json_answers` writes those answers
with ``json.dumps`` instead, leaving out the ``null`` members the serializer leaves out.
``tests/unit/test_motopatch_answers.py`` holds its answers equal to the serializer's for every
attribute type.

moto's DynamoDB Streams keeps every shard iterator it ever handed out, and each GetRecords hands
out a new one: a long-running local stack (two stream consumers reading after every function
invocation) grew by tens of thousands of iterators an hour. :func:`bounded_iterators` keeps the
newest ``max_kept`` (AWS's iterators expire after 15 minutes anyway).

The embedded store (emulator/store_server.py) and the functional tests apply the first three;
the embedded store also bounds the iterators.
"""

from __future__ import annotations

import base64
import calendar
import copy
import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

__all__ = ["bounded_iterators", "cheap_transactions", "partition_queries", "plain_json_answers"]

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


class _QueryView:
    """A table as moto's ``Table.query`` reads it, with ``all_items()`` narrowed beforehand."""

    def __init__(self, table: Table, items: list[Item]) -> None:
        self._table = table
        self._items = items

    def all_items(self) -> list[Item]:
        return self._items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def _candidates(table: Table, hash_key: DynamoType | None, index_name: str | None) -> list[Item]:
    """What a Query may return before its conditions: the partition, or (an index) every item."""
    if index_name or hash_key is None:
        if table.range_key_attr:
            return [item for partition in table.items.values() for item in partition.values()]
        return list(cast(dict[DynamoType, Item], table.items).values())
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    if table.range_key_attr:
        return list(partition.values())
    return [cast(Item, partition)]


_QUERY = "query"
_queries_open = [0]


@contextmanager
def partition_queries() -> Iterator[None]:
    """While inside: a Query reads its partition (or, on an index, the items unsorted), not a
    sorted copy of the whole table. Nesting is harmless."""
    _queries_open[0] += 1
    original: Callable[..., Any] = Table.query
    try:
        if _queries_open[0] == 1:

            def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
                index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
                view = _QueryView(self, _candidates(self, hash_key, index_name))
                return original(view, hash_key, *args, **kwargs)

            setattr(Table, _QUERY, query)
        yield
    finally:
        _queries_open[0] -= 1
        if _queries_open[0] == 0:
            setattr(Table, _QUERY, original)


#: DynamoDB operations whose answers are items and counts, already in their wire form.
PLAIN_OPERATIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)


def _without_nulls(value: Any) -> Any:
    """The serializer leaves out members that are None; so does this."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _wire(value: Any) -> Any:
    """Binary values travel base64-encoded and timestamps as epoch seconds (to the millisecond),
    as the JSON protocol sends blobs and timestamps."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        seconds = calendar.timegm(value.utctimetuple())
        return seconds + (value.microsecond // 1000) / 1000 if value.microsecond else seconds
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _plain(result: Any) -> tuple[int, dict[str, str], str]:
    body = json.dumps(_without_nulls(result), separators=(",", ":"), default=_wire)
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, body


class _PlainAnswer(ActionResult):
    """A GetRecords answer written with ``json.dumps`` (its records are DynamoDB JSON)."""

    def execute_result(self, context: ActionContext) -> Any:
        return _plain(self.result)


_EXECUTE = "execute_result"
_GET_RECORDS = "get_records"
_answers_open = [0]


@contextmanager
def plain_json_answers() -> Iterator[None]:
    """While inside: DynamoDB's item operations answer with ``json.dumps`` of their result, not
    through moto's shape-walking serializer (the same body, a fraction of the CPU)."""
    _answers_open[0] += 1
    original: Callable[..., Any] = DynamoResult.execute_result
    own = _EXECUTE in DynamoResult.__dict__
    records: Callable[[DynamoDBStreamsHandler], ActionResult] = DynamoDBStreamsHandler.get_records
    try:
        if _answers_open[0] == 1:

            def execute_result(self: DynamoResult, context: ActionContext) -> Any:
                if context.operation_model.name not in PLAIN_OPERATIONS or isinstance(
                    self.result, Exception
                ):
                    return original(self, context)
                return _plain(self.result)

            def get_records(handler: DynamoDBStreamsHandler) -> ActionResult:
                return _PlainAnswer(records(handler).result)

            setattr(DynamoResult, _EXECUTE, execute_result)
            setattr(DynamoDBStreamsHandler, _GET_RECORDS, get_records)
        yield
    finally:
        _answers_open[0] -= 1
        if _answers_open[0] == 0:
            if own:
                setattr(DynamoResult, _EXECUTE, original)
            else:
                delattr(DynamoResult, _EXECUTE)
            setattr(DynamoDBStreamsHandler, _GET_RECORDS, records)


@contextmanager
def bounded_iterators(max_kept: int = 10_000) -> Iterator[None]:
    """While inside: moto's stream backends keep only their newest ``max_kept`` iterators."""
    original: Callable[..., dict[str, Any]] = DynamoDBStreamsBackend.get_records

    def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> Any:
        answer = original(self, iterator_arn, limit)
        excess = len(self.shard_iterators) - max_kept
        if excess > 0:  # a dict keeps insertion order: the oldest come first
            for arn in list(itertools.islice(self.shard_iterators, excess)):
                del self.shard_iterators[arn]
        return answer

    setattr(DynamoDBStreamsBackend, _GET_RECORDS, get_records)
    try:
        yield
    finally:
        setattr(DynamoDBStreamsBackend, _GET_RECORDS, original)
