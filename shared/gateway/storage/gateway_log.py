"""The gateway log: sequenced events, one write per event however many receive it.

Appending takes the log's head and writes the new positions in one transaction conditioned on
the head being unchanged, so positions are committed in order: the table stream then delivers
the log's items in position order (one partition key, one stream shard). A container remembers
the head its last append left (:data:`_HEADS`), so it appends without reading the head first;
when another writer moved it meanwhile, the condition fails and the append reads it and tries
again. Items expire after the resume window (TTL), which is how far back a RESUME can reach.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from shared.gateway.domain.log_events import LogEvent
from shared.outbox.storage.outbox import PendingEvent, mark_sequenced
from shared.table import keys
from shared.table.schema import ParleyItem, transaction

__all__ = [
    "LogEntry",
    "append",
    "cursor_condition",
    "head",
    "mark_delivering",
    "oldest_kept",
    "read_after",
]

#: DynamoDB allows 100 items per transaction: the head plus two per event.
_PER_TRANSACTION = 49
_MAX_ATTEMPTS = 50
#: shard -> the head this container's last append left there (it is the only writer of a
#: shard's log as long as one fan-out reads the outbox's stream shard; a head another container
#: moved is a failed condition, then a read).
_HEADS: dict[int, int] = {}


class _LogItem(ParleyItem):
    t = UnicodeAttribute(null=True)
    scope = UnicodeAttribute(null=True)
    d = UnicodeAttribute(null=True)
    channel_id = NumberAttribute(null=True)
    position = NumberAttribute(null=True)


@dataclass(frozen=True, slots=True)
class LogEntry:
    position: int
    event: LogEvent

    def frame(self) -> dict[str, Any]:
        return {"op": 0, "t": self.event.t, "s": self.position, "d": self.event.d}


def head(shard: int) -> int:
    """The position of the log's last event (0 for an empty log)."""
    try:
        item = _LogItem.get(keys.log_pk(shard), keys.LOG_HEAD_SK, consistent_read=True)
    except DoesNotExist:
        return 0
    return int(item.position or 0)


def _entry(item: _LogItem) -> LogEntry:
    return LogEntry(
        position=keys.log_position(item.sk),
        event=LogEvent(
            t=str(item.t),
            d=json.loads(item.d or "null"),
            scope=str(item.scope),
            channel_id=int(item.channel_id) if item.channel_id is not None else None,
        ),
    )


def entry_from_image(image: dict[str, Any]) -> LogEntry | None:
    """A log entry from a stream record's NewImage (DynamoDB JSON), or None if it is not one."""
    sk = image.get("SK", {}).get("S", "")
    if not keys.is_log_entry(image.get("PK", {}).get("S", ""), sk):
        return None
    channel = image.get("channel_id", {}).get("N")
    return LogEntry(
        position=keys.log_position(sk),
        event=LogEvent(
            t=image["t"]["S"],
            d=json.loads(image["d"]["S"]),
            scope=image["scope"]["S"],
            channel_id=int(channel) if channel is not None else None,
        ),
    )


def head_condition(shard: int, position: int) -> tuple[Any, Any]:
    """The (item, condition) that holds while the log's head is ``position`` (for transactions)."""
    item = _LogItem(keys.log_pk(shard), keys.LOG_HEAD_SK)
    condition = _LogItem.position == position if position else _LogItem.position.does_not_exist()
    return item, condition


def mark_delivering(shard: int, upto: int) -> None:
    """The fan-out starts delivering the log's entries up to ``upto`` while a session it read
    is paused for its handoff: recorded before it reads that session again, so that a handoff
    after this (:func:`cursor_condition`) fails and replays on, and one before it is read live.
    The cursor only moves forward (a retried batch leaves it where it is)."""
    cursor = _LogItem(keys.log_pk(shard), keys.LOG_CURSOR_SK)
    try:
        cursor.update(
            actions=[_LogItem.position.set(upto)],
            condition=_LogItem.position.does_not_exist() | (_LogItem.position < upto),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def cursor_condition(shard: int, position: int) -> tuple[Any, Any]:
    """The (item, condition) that holds while the fan-out has not started delivering any entry
    after ``position`` (for transactions)."""
    item = _LogItem(keys.log_pk(shard), keys.LOG_CURSOR_SK)
    condition = _LogItem.position.does_not_exist() | (_LogItem.position <= position)
    return item, condition


def append(shard: int, pending: Sequence[PendingEvent], ttl_s: int) -> list[LogEntry]:
    """Give the events the next positions of the log, in order, each exactly once.

    Each event's outbox item is marked in the same transaction; one already marked (a retried
    stream batch) is left out rather than appended twice.
    """
    written: list[LogEntry] = []
    for start in range(0, len(pending), _PER_TRANSACTION):
        written += _append_chunk(shard, list(pending[start : start + _PER_TRANSACTION]), ttl_s)
    return written


def _append_chunk(shard: int, pending: list[PendingEvent], ttl_s: int) -> list[LogEntry]:
    pk = keys.log_pk(shard)
    for _ in range(_MAX_ATTEMPTS):
        if not pending:
            return []
        current = _HEADS.pop(shard, None)
        if current is None:
            current = head(shard)
        entries = [LogEntry(current + 1 + i, p.event) for i, p in enumerate(pending)]
        head_item, condition = head_condition(shard, current)
        head_item.position = current + len(pending)
        try:
            with transaction() as tx:
                tx.save(head_item, condition=condition)
                for entry, item in zip(entries, pending, strict=True):
                    tx.save(
                        _LogItem(
                            pk,
                            keys.log_sk(entry.position),
                            t=entry.event.t,
                            scope=entry.event.scope,
                            d=entry.event.payload_json(),
                            channel_id=entry.event.channel_id,
                            expires_at=timedelta(seconds=ttl_s),
                        )
                    )
                    mark_sequenced(tx, item, shard)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            reasons = exc.cancellation_reasons
            # Items: head, then (log item, outbox mark) per event.
            done = {
                i
                for i in range(len(pending))
                if (r := reasons[2 + 2 * i] if len(reasons) > 2 + 2 * i else None) is not None
                and r.code == "ConditionalCheckFailed"
            }
            pending = [p for i, p in enumerate(pending) if i not in done]
            continue  # the head moved or some were already appended: try again without them
        _HEADS[shard] = current + len(pending)
        return entries
    raise RuntimeError(f"gateway log {shard}: could not append after {_MAX_ATTEMPTS} attempts")


def read_after(shard: int, after: int, until: int) -> Iterator[LogEntry]:
    """The entries with ``after < position <= until``, in order (consistent reads)."""
    if until <= after:
        return
    for item in _LogItem.query(
        keys.log_pk(shard),
        _LogItem.sk.between(keys.log_sk(after + 1), keys.log_sk(until)),
        consistent_read=True,
    ):
        yield _entry(item)


def oldest_kept(shard: int) -> int:
    """The lowest position still in the log (head + 1 when it holds none)."""
    for item in _LogItem.query(
        keys.log_pk(shard),
        _LogItem.sk.startswith(keys.LOG_POSITION_SK_PREFIX),
        limit=1,
        consistent_read=True,
    ):
        return keys.log_position(item.sk)
    return head(shard) + 1
