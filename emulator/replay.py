"""``parley replay-stream-failures``: give a stream consumer again what its mapping gave up on.

Each message of a failure queue describes a batch (:mod:`emulator.stream_failures`). For each,
the records of that range are read back from the table's stream (``AT_SEQUENCE_NUMBER``, while
the stream keeps them: 24 hours), filtered as the mapping filters them, and given to the
consumer as one stream event; the message is deleted only when the consumer finished every
record (no error, no ``batchItemFailures``). A message that fails stays in the queue, visible
again after its visibility timeout.

The queue and the stream are read with the same boto3 calls on AWS and locally (boto3 honours
``AWS_ENDPOINT_URL``: the local stack's store). Only the invocation differs: with
``--function-name`` the deployed function is invoked through the Lambda API (``Invoke``);
without it, the consumer runs locally, as the local stack runs it (a worker process of the
emulator's runtime, the template's environment, the same store).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.artifacts import ArtifactBuilder, find_uv
from emulator.config import REPO_ROOT, DevSettings
from emulator.runtime import FunctionError, Runtimes
from emulator.store import sqs_client
from emulator.store_credentials import CREDENTIALS_FILE, StoreCredentials
from emulator.stream_failures import BatchInfo, NotABatchFailure
from emulator.streams import item_failures, lambda_record
from emulator.template import StreamMapping, Template, TemplateError, load_template
from emulator.tls import local_tls

__all__ = ["ReplayReport", "add_parser", "main_from_args", "read_range", "replay_queue"]

log = logging.getLogger("parley.replay")

#: Empty pages in a row after which a shard is taken to hold nothing more (an open shard's
#: tip answers empty pages forever).
_EMPTY_PAGES = 5


class ReplayFailed(Exception):
    """One batch could not be replayed; its message stays in the queue."""


class Invoker(Protocol):
    async def invoke(self, event: dict[str, Any]) -> Any:
        """The consumer's answer to a stream event; :class:`ReplayFailed` when it failed."""


class LambdaInvoker:
    """A deployed function, through the Lambda API (AWS, or any endpoint that speaks it)."""

    def __init__(self, function_name: str, region: str) -> None:
        self._name = function_name
        # A consumer may run for its whole timeout (up to 15 minutes).
        self._client = boto3.client(
            "lambda",
            region_name=region,
            config=Config(read_timeout=900, retries={"max_attempts": 1}),
        )

    async def invoke(self, event: dict[str, Any]) -> Any:
        answer = self._client.invoke(FunctionName=self._name, Payload=json.dumps(event).encode())
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise ReplayFailed(f"{self._name} failed: {payload.decode(errors='replace')[:500]}")
        return json.loads(payload) if payload else None


class LocalInvoker:
    """A template's function in a worker process of the emulator's runtime, with the
    environment the local stack gives it (its store: ``AWS_ENDPOINT_URL``)."""

    def __init__(self, runtimes: Runtimes, function_id: str) -> None:
        self._runtimes = runtimes
        self._function_id = function_id

    async def invoke(self, event: dict[str, Any]) -> Any:
        try:
            return (await self._runtimes.invoke(self._function_id, event)).result
        except FunctionError as exc:
            raise ReplayFailed(str(exc)) from exc


def read_range(streams: Any, info: BatchInfo) -> list[dict[str, Any]]:
    """The records of a failed batch, read back from its shard (GetRecords' shape)."""
    iterator = streams.get_shard_iterator(
        StreamArn=info.stream_arn,
        ShardId=info.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info.start_sequence_number,
    ).get("ShardIterator")
    records: list[dict[str, Any]] = []
    empty = 0
    end = int(info.end_sequence_number)
    while iterator is not None and empty < _EMPTY_PAGES:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        found = page.get("Records", [])
        empty = 0 if found else empty + 1
        for record in found:
            sequence_number = record["dynamodb"]["SequenceNumber"]
            if int(sequence_number) > end:
                return records
            if info.holds(sequence_number):
                records.append(record)
            if int(sequence_number) == end:
                return records
        iterator = page.get("NextShardIterator")
    if not records or records[-1]["dynamodb"]["SequenceNumber"] != info.end_sequence_number:
        raise ReplayFailed(
            f"{info.shard_id}: the stream no longer holds {info.start_sequence_number}.."
            f"{info.end_sequence_number} whole (it keeps records 24 hours)"
        )
    return records


@dataclass
class ReplayReport:
    replayed: int = 0
    records: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


async def replay_queue(
    *,
    sqs: Any,
    streams: Any,
    queue_url: str,
    invoker: Invoker,
    mapping: StreamMapping,
    visibility_timeout_s: int = 120,
) -> ReplayReport:
    """Replay every message the queue holds now; delete each only once its batch is done."""
    report = ReplayReport()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=visibility_timeout_s,
        ).get("Messages", [])
        # A message that failed here comes back once its visibility timeout ends: one pass.
        messages = [m for m in messages if m["MessageId"] not in seen]
        if not messages:
            return report
        for message in messages:
            seen.add(message["MessageId"])
            try:
                info = BatchInfo.from_message(message["Body"])
                records = [
                    r
                    for r in (lambda_record(r, info.stream_arn) for r in read_range(streams, info))
                    if mapping.wants(r)
                ]
                if records:
                    answer = await invoker.invoke({"Records": records})
                    if item_failures(mapping, records, answer) is not None:
                        raise ReplayFailed(f"the consumer reported failures: {answer}")
            except (ReplayFailed, NotABatchFailure, ClientError, BotoCoreError) as exc:
                log.error("message %s not replayed: %s", message["MessageId"], exc)
                report.failed.append(message["MessageId"])
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.replayed += 1
            report.records += len(records)
            log.info(
                "replayed %s: %d records of %s", message["MessageId"], len(records), info.shard_id
            )


def add_parser(sub: Any) -> None:
    replay = sub.add_parser(
        "replay-stream-failures",
        help="give a stream consumer again the batches its on-failure queue holds",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument("--queue", required=True, help="the failure queue's URL or name")
    replay.add_argument(
        "--function",
        required=True,
        help="the consumer's logical id in the template (its stream mapping: filters, "
        "item failures; locally, the function that runs)",
    )
    replay.add_argument(
        "--function-name",
        help="invoke this deployed function through the Lambda API instead of running the "
        "template's function locally (on AWS: the function's name or ARN)",
    )
    replay.add_argument("--template", type=Path, default=Path("template.yaml"))
    replay.add_argument("--stack-name", default="parley-local", help="the local stack's name")
    replay.add_argument("--region", default=None, help="default: AWS_REGION, else us-east-1")
    replay.add_argument(
        "--visibility-timeout",
        type=int,
        default=120,
        help="seconds a message that failed stays hidden from other readers (default 120)",
    )


async def _local_runtimes(
    template: Template, function_id: str, region: str
) -> tuple[Runtimes, ArtifactBuilder]:
    """The function as the local stack runs it: its artifact and layers, the stack's settings
    and data folder, and trust in the local CA its ``@connections`` endpoint serves with."""
    settings = DevSettings()
    functions = {function_id: template.functions[function_id]}
    builder = ArtifactBuilder(
        functions,
        settings.build_dir,
        lock_file=REPO_ROOT / "uv.lock",
        uv=find_uv(REPO_ROOT),
        progress=lambda line: print(f"parley replay-stream-failures: {line}", file=sys.stderr),
    )
    codes = await builder.prepare()
    env = dict(os.environ)
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PARLEY_DATA_DIR": str(settings.data_dir),
        }
    )
    tls = await asyncio.to_thread(local_tls, settings.data_dir, [settings.host], os.environ)
    env.update(tls.trust_env())
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    return Runtimes(functions, codes, env, max_workers=1), builder


def _local_store_credentials() -> None:
    """Without credentials in the environment, the local stack's store key pair (its data
    folder's), which the embedded store requires."""
    path = DevSettings().data_dir / CREDENTIALS_FILE
    if "AWS_ACCESS_KEY_ID" not in os.environ and path.exists():
        os.environ.update(StoreCredentials.read(path).env())


async def _run(args: argparse.Namespace) -> int:
    region = args.region or os.environ.get("AWS_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint is not None:
        _local_store_credentials()
    try:
        template = load_template(args.template, stack_name=args.stack_name, region=region)
    except TemplateError as exc:
        print(f"parley replay-stream-failures: {exc}", file=sys.stderr)
        return 2
    mappings = [m for m in template.stream_mappings if m.function_id == args.function]
    if not mappings:
        print(
            f"parley replay-stream-failures: {args.function} has no stream mapping in "
            f"{args.template}",
            file=sys.stderr,
        )
        return 2
    if endpoint is None and not args.function_name:
        print(
            "parley replay-stream-failures: set AWS_ENDPOINT_URL to the local stack's store "
            "(its `AWS store` line), or give --function-name to invoke a deployed function",
            file=sys.stderr,
        )
        return 2
    sqs = sqs_client(endpoint, region)
    queue_url = args.queue
    if not queue_url.startswith(("http://", "https://")):
        queue_url = sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=region)
    runtimes: Runtimes | None = None
    builder: ArtifactBuilder | None = None
    invoker: Invoker
    if args.function_name:
        invoker = LambdaInvoker(args.function_name, region)
    else:
        runtimes, builder = await _local_runtimes(template, args.function, region)
        invoker = LocalInvoker(runtimes, args.function)
    try:
        report = await replay_queue(
            sqs=sqs,
            streams=streams,
            queue_url=queue_url,
            invoker=invoker,
            mapping=mappings[0],
            visibility_timeout_s=args.visibility_timeout,
        )
    finally:
        if runtimes is not None:
            await runtimes.close()
        if builder is not None:
            builder.close()
    print(
        f"parley replay-stream-failures: {report.replayed} batches replayed "
        f"({report.records} records), {len(report.failed)} left in the queue",
        flush=True,
    )
    return 0 if report.ok else 1


def main_from_args(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))
