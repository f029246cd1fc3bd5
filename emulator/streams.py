"""Lambda's DynamoDB event source mapping, locally: table stream records to functions.

One poller per (mapping, shard) reads records in order and invokes the mapped function with a
batch, exactly as the event source mapping does: at most ``BatchSize`` records, the next batch
only after the previous one succeeded, a failed batch retried with backoff (split in halves
with ``BisectBatchOnFunctionError``; from the first failed item with
``ReportBatchItemFailures``), and given up after ``MaximumRetryAttempts`` (-1: until it works).
Records that match none of the mapping's ``FilterCriteria`` are left out, as Lambda leaves them.

A quiet shard is read again as soon as any function invocation ends (every write to the store
comes from one; see :class:`emulator.runtime.Activity`), and otherwise every
``poll_interval_s`` (AWS polls a shard four times a second), so an idle stack costs the store
a few reads a second, not dozens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.intrinsics import ACCOUNT_ID
from emulator.runtime import FunctionError, Runtimes
from emulator.store import dynamodb_client, ensure_queues, sqs_client
from emulator.stream_failures import AGE_EXCEEDED, RETRIES_EXHAUSTED, failure_record
from emulator.template import StreamMapping, TableSpec

__all__ = ["StreamPump", "item_failures", "lambda_record"]

log = logging.getLogger("parley.streams")

#: A shard quiet this long gets a new iterator, anchored after the last record read (AWS's
#: iterators expire after 15 minutes).
REANCHOR_AFTER_S = 300.0


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda delivers it (epoch seconds, the source ARN)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


@dataclass
class _Stats:
    #: Batches (or pieces of one) the function finished.
    batches: int = 0
    #: Records the function finished.
    records: int = 0
    #: Invocations that were retries of a failed batch (splitting one is not a retry).
    retries: int = 0
    #: Records given up on and lost: their mapping has no on-failure destination.
    dropped: int = 0
    #: Records given up on and reported to the on-failure destination, in how many messages.
    to_destination: int = 0
    failure_messages: int = 0


class StreamPump:
    """Polls every mapped table's stream and feeds its functions."""

    def __init__(
        self,
        mappings: list[StreamMapping],
        tables: dict[str, TableSpec],
        runtimes: Runtimes,
        *,
        endpoint_url: str | None,
        region: str,
        poll_interval_s: float = 0.25,
        retry_backoff_s: float = 0.05,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mappings = mappings
        self._tables = tables
        self._runtimes = runtimes
        self._endpoint = endpoint_url
        self._region = region
        self._poll = poll_interval_s
        self._backoff_s = retry_backoff_s
        self._clock = clock
        self._sqs = sqs_client(endpoint_url, region)
        self._queue_urls: dict[str, str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.stats = _Stats()
        self._ready = asyncio.Event()
        self._pending_ready = 0

    async def start(self) -> None:
        """Start polling; returns once every shard has its iterator (later writes are seen)."""
        if not self._mappings:
            self._ready.set()
            return
        await self.prepare_destinations()
        self._pending_ready = len(self._mappings)
        self._tasks = [asyncio.create_task(self._run_mapping(m)) for m in self._mappings]
        await self._ready.wait()

    async def prepare_destinations(self) -> None:
        """Create the mappings' on-failure queues that do not exist yet, and find their URLs."""
        queues = {m.on_failure.logical_id: m.on_failure for m in self._mappings if m.on_failure}
        self._queue_urls = await asyncio.to_thread(
            ensure_queues, self._endpoint, self._region, list(queues.values())
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _mark_ready(self) -> None:
        self._pending_ready -= 1
        if self._pending_ready <= 0:
            self._ready.set()

    async def _run_mapping(self, mapping: StreamMapping) -> None:
        streams = dynamodb_client(self._endpoint, self._region, "dynamodbstreams")
        table = self._tables[mapping.table_id]
        description = await asyncio.to_thread(
            dynamodb_client(self._endpoint, self._region).describe_table, TableName=table.name
        )
        stream_arn = description["Table"]["LatestStreamArn"]
        shard_tasks: dict[str, asyncio.Task[None]] = {}
        first = True
        try:
            while True:
                shards = (await asyncio.to_thread(streams.describe_stream, StreamArn=stream_arn))[
                    "StreamDescription"
                ]["Shards"]
                starting: list[asyncio.Future[None]] = []
                for shard in shards:
                    shard_id = shard["ShardId"]
                    if shard_id in shard_tasks:
                        continue
                    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                    starting.append(started)
                    shard_tasks[shard_id] = asyncio.create_task(
                        self._run_shard(streams, mapping, stream_arn, shard_id, first, started)
                    )
                if starting:
                    await asyncio.gather(*starting)
                if first:
                    first = False
                    self._mark_ready()
                await asyncio.sleep(5.0)  # new shards appear rarely (AWS splits every few hours)
        finally:
            for task in shard_tasks.values():
                task.cancel()
            await asyncio.gather(*shard_tasks.values(), return_exceptions=True)

    async def _run_shard(
        self,
        streams: Any,
        mapping: StreamMapping,
        stream_arn: str,
        shard_id: str,
        initial: bool,
        started: asyncio.Future[None],
    ) -> None:
        """Read one shard in order, forever.

        The iterator is re-anchored after the last record read whenever the shard has been
        quiet for a while or the iterator fails: AWS's iterators expire after 15 minutes, and
        moto's are orphaned when a cancelled transaction restores its copy of the table.
        """
        position = mapping.starting_position if initial else "TRIM_HORIZON"
        last_sequence: str | None = None

        async def fresh_iterator() -> str | None:
            args: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": shard_id}
            if last_sequence is None:
                args["ShardIteratorType"] = position
            else:
                args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=last_sequence)
            answer = await asyncio.to_thread(streams.get_shard_iterator, **args)
            value: str | None = answer.get("ShardIterator")
            return value

        iterator = await self._retrying(fresh_iterator, shard_id)
        started.set_result(None)
        pending: list[dict[str, Any]] = []
        quiet_since = time.monotonic()
        woken = self._runtimes.activity.waiter()
        while iterator is not None or pending:
            if len(pending) < mapping.batch_size and iterator is not None:
                woken.clear()  # before reading: a write after this read wakes the next wait
                try:
                    page = await asyncio.to_thread(
                        streams.get_records,
                        ShardIterator=iterator,
                        Limit=mapping.batch_size - len(pending),
                    )
                except (ClientError, BotoCoreError) as exc:
                    # An expired or orphaned iterator, or the store slow to answer: re-anchor
                    # after the last record read (never give up on the shard).
                    log.warning("GetRecords failed on %s: %s", shard_id, exc)
                    await asyncio.sleep(1.0)
                    iterator = await self._retrying(fresh_iterator, shard_id)
                    continue
                records = page.get("Records", [])
                if records:
                    last_sequence = records[-1]["dynamodb"]["SequenceNumber"]
                    quiet_since = time.monotonic()
                # FilterCriteria: a record no filter matches is dropped, never delivered.
                wanted = (lambda_record(r, stream_arn) for r in records)
                pending.extend(r for r in wanted if mapping.wants(r))
                iterator = page.get("NextShardIterator")
            if not pending:
                if time.monotonic() - quiet_since > REANCHOR_AFTER_S:
                    iterator = await self._retrying(fresh_iterator, shard_id)
                    quiet_since = time.monotonic()
                # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation
                # that lands as the event fires (an invocation ending as the stack stops), and
                # the shard's task then never ends.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll):
                        await woken.wait()
                continue
            batch, pending = pending[: mapping.batch_size], pending[mapping.batch_size :]
            try:
                await self.deliver(mapping, batch, shard_id)
            except Exception:
                # A bug here must not silently stop the shard: say so, keep the order, retry.
                log.exception("%s: delivering a batch failed; retrying it", mapping.function_id)
                pending = batch + pending
                await asyncio.sleep(1.0)

    @staticmethod
    async def _retrying(
        fresh_iterator: Callable[[], Awaitable[str | None]], shard_id: str
    ) -> str | None:
        """A new iterator, asked for again (each second) until the store gives one."""
        while True:
            try:
                return await fresh_iterator()
            except (ClientError, BotoCoreError) as exc:
                log.warning("GetShardIterator failed on %s: %s", shard_id, exc)
                await asyncio.sleep(1.0)

    async def deliver(
        self, mapping: StreamMapping, batch: list[dict[str, Any]], shard_id: str
    ) -> None:
        """Invoke until the batch is done or given up on, in order; records after a failure
        wait for it.

        Each piece of the batch counts its own retries: a function error splits it in halves
        with ``BisectBatchOnFunctionError`` (splitting costs no retry, as on AWS); reported
        item failures retry it from the first failed record; past ``MaximumRetryAttempts``
        retries, or once its first records are older than ``MaximumRecordAgeInSeconds``,
        what is left goes to the on-failure destination (or is dropped without one).
        """
        queue: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while queue:
            records, retries = queue[0]
            expired = self._expired(mapping, records)
            if expired:
                await self._give_up(mapping, shard_id, records[:expired], AGE_EXCEEDED, retries)
                records = records[expired:]
                if not records:
                    queue.pop(0)
                    continue
                queue[0] = (records, retries)
            failed_from, error = await self._invoke(mapping, records)
            if failed_from is None:
                queue.pop(0)
                self.stats.batches += 1
                self.stats.records += len(records)
                continue
            self.stats.records += failed_from  # those before the first failure are done
            rest = records[failed_from:]
            if error is not None and mapping.bisect_on_error and len(rest) > 1:
                half = len(rest) // 2
                queue[0:1] = [(rest[:half], retries), (rest[half:], retries)]
                continue
            if 0 <= mapping.maximum_retry_attempts <= retries:
                await self._give_up(mapping, shard_id, rest, RETRIES_EXHAUSTED, retries + 1, error)
                queue.pop(0)
                continue
            self.stats.retries += 1
            queue[0] = (rest, retries + 1)
            await asyncio.sleep(min(2.0, self._backoff_s * 2 ** (retries + 1)))

    def _expired(self, mapping: StreamMapping, records: list[dict[str, Any]]) -> int:
        """How many of the first records are older than the mapping's maximum age."""
        if mapping.maximum_record_age_s < 0:
            return 0
        oldest = self._clock() - mapping.maximum_record_age_s
        count = 0
        for record in records:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if created is None or float(created) >= oldest:
                break
            count += 1
        return count

    async def _give_up(
        self,
        mapping: StreamMapping,
        shard_id: str,
        records: list[dict[str, Any]],
        condition: str,
        invoke_count: int,
        function_error: str | None = None,
    ) -> None:
        """Report records the mapping gives up on to its destination (or drop them)."""
        log.error(
            "%s: giving up on %d records (%s, %d invocations)%s",
            mapping.function_id,
            len(records),
            condition,
            invoke_count,
            "" if mapping.on_failure else "; no on-failure destination: dropped",
        )
        if mapping.on_failure is None:
            self.stats.dropped += len(records)
            return
        message = failure_record(
            function_arn=(
                f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{mapping.function_id}"
            ),
            condition=condition,
            invoke_count=invoke_count,
            function_error=function_error,
            shard_id=shard_id,
            records=records,
            now=self._clock(),
        )
        while True:
            try:
                await asyncio.to_thread(
                    self._sqs.send_message,
                    QueueUrl=self._queue_urls[mapping.on_failure.logical_id],
                    MessageBody=json.dumps(message),
                )
                break
            except (ClientError, BotoCoreError) as exc:
                # Lambda retries a destination it cannot reach: the shard waits, nothing is lost.
                log.warning("%s: on-failure destination failed: %s", mapping.function_id, exc)
                await asyncio.sleep(1.0)
        self.stats.to_destination += len(records)
        self.stats.failure_messages += 1

    async def _invoke(
        self, mapping: StreamMapping, records: list[dict[str, Any]]
    ) -> tuple[int | None, str | None]:
        """(None, None) when the batch succeeded; else the index of the first record to retry
        and, when the function failed as a whole, its error ("Unhandled")."""
        try:
            invocation = await self._runtimes.invoke(mapping.function_id, {"Records": records})
        except FunctionError as exc:
            log.warning("%s failed on a batch of %d: %s", mapping.function_id, len(records), exc)
            return 0, "Unhandled"
        failed_from = item_failures(mapping, records, invocation.result)
        return failed_from, None


def item_failures(mapping: StreamMapping, records: list[dict[str, Any]], result: Any) -> int | None:
    """The index of the first record a function's answer reports failed (None: all done).

    Only with ``ReportBatchItemFailures``; an answer naming a record not in the batch fails it
    all, as on AWS."""
    if not mapping.report_item_failures or not isinstance(result, dict):
        return None
    failures = result.get("batchItemFailures") or []
    if not failures:
        return None
    sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    indexes = [
        sequence_numbers.index(f.get("itemIdentifier"))
        for f in failures
        if isinstance(f, dict) and f.get("itemIdentifier") in sequence_numbers
    ]
    return min(indexes) if len(indexes) == len(failures) else 0
