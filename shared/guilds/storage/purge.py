"""Purge jobs: remove a deleted guild's (or channel's) items in bounded batches, off the
request path.

A job is one item, ``PK=PURGE#<job>``, listing the partitions still to drain (and GSI1
partitions whose items are deleted by their table keys). Each change of the job item reaches
the stream consumer, which runs one *round*: it first advances the job (conditioned on the
round number, so a redelivered record does nothing), then deletes at most :data:`BATCH` items.
That update is itself a stream record, so the next round follows, until nothing is left and the
job item deletes itself. A channel item found while draining a guild adds the channel's own
partition (its reference now, its messages later) to the job. A partition leaves the job only
when a round finds it empty, so a round that failed halfway is simply done again.

Items of other areas (messages) may live in the partitions drained here, so this module works
on raw keys with the plain DynamoDB client rather than on typed items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from shared.config import get_settings
from shared.errors import Conflict, Unavailable
from shared.table.entity import Entity
from shared.table.keys import CHANNEL_SK_PREFIX, PURGE_SK, channel_pk, purge_pk
from shared.table.transaction import Transaction

__all__ = ["BATCH", "PurgeJob", "PurgeJobRecord", "job_from_image", "run_round", "schedule"]

#: Items deleted per round: four BatchWriteItem calls, well inside one invocation.
BATCH = 100
_JOB_TYPE = "purge"


@cache
def _client() -> Any:
    settings = get_settings()
    return boto3.client(
        "dynamodb",
        region_name=settings.aws_region,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


def _table() -> str:
    return get_settings().table_name


@dataclass
class PurgeJob:
    """What is left to remove. ``partitions``: table partition keys; ``index``: GSI1 ones."""

    job: str
    partitions: list[str] = field(default_factory=list)
    index: list[str] = field(default_factory=list)
    round: int = 0
    deleted: int = 0

    def item(self) -> dict[str, Any]:
        return {
            "PK": {"S": purge_pk(self.job)},
            "SK": {"S": PURGE_SK},
            "type": {"S": _JOB_TYPE},
            "job": {"S": self.job},
            "partitions": {"L": [{"S": p} for p in self.partitions]},
            "index": {"L": [{"S": p} for p in self.index]},
            "round": {"N": str(self.round)},
            "deleted": {"N": str(self.deleted)},
        }


def job_from_image(image: dict[str, Any]) -> PurgeJob | None:
    """The job of a stream record's NewImage; None for any other item."""
    if image.get("type", {}).get("S") != _JOB_TYPE:
        return None
    return PurgeJob(
        job=image["job"]["S"],
        partitions=[p["S"] for p in image.get("partitions", {}).get("L", [])],
        index=[p["S"] for p in image.get("index", {}).get("L", [])],
        round=int(image["round"]["N"]),
        deleted=int(image.get("deleted", {}).get("N", "0")),
    )


class PurgeJobRecord(Entity, discriminator=_JOB_TYPE):
    """The job item as the transaction that schedules it writes it (same shape as
    :meth:`PurgeJob.item`)."""

    job = UnicodeAttribute()
    partitions = ListAttribute(of=UnicodeAttribute, default=list)
    index = ListAttribute(of=UnicodeAttribute, default=list)
    round = NumberAttribute(default=0)
    deleted = NumberAttribute(default=0)


def schedule(tx: Transaction, job: PurgeJob) -> None:
    """Start the job when the transaction commits (the deletion and its clean-up go together)."""
    tx.put(
        PurgeJobRecord(
            purge_pk(job.job),
            PURGE_SK,
            job=job.job,
            partitions=list(job.partitions),
            index=list(job.index),
            round=0,
            deleted=0,
        ),
        condition=PurgeJobRecord.pk.does_not_exist(),
        on_fail=Conflict("Already being deleted.", code="already_deleting"),
    )


def _keys(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"PK": i["PK"], "SK": i["SK"]} for i in items]


def _next_batch(job: PurgeJob) -> tuple[list[dict[str, Any]], str | None, bool]:
    """(items, the partition they came from, whether it came from the index)."""
    client = _client()
    if job.partitions:
        partition = job.partitions[0]
        page = client.query(
            TableName=_table(),
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            Limit=BATCH,
        )
        return page.get("Items", []), partition, False
    if job.index:
        partition = job.index[0]
        page = client.query(
            TableName=_table(),
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            Limit=BATCH,
        )
        return page.get("Items", []), partition, True
    return [], None, False


def run_round(job: PurgeJob) -> bool:
    """One bounded round of the job; False when the job is finished (its item is gone)."""
    try:
        return _run_round(job)
    except BotoCoreError as exc:
        raise Unavailable("The store cannot be reached.") from exc


def _run_round(job: PurgeJob) -> bool:
    client = _client()
    items, partition, from_index = _next_batch(job)
    job_key = {"PK": {"S": purge_pk(job.job)}, "SK": {"S": PURGE_SK}}
    if partition is None:
        client.delete_item(TableName=_table(), Key=job_key)
        return False
    advanced = PurgeJob(
        job.job, list(job.partitions), list(job.index), job.round + 1, job.deleted + len(items)
    )
    if not items:
        (advanced.index if from_index else advanced.partitions).remove(partition)
    for item in items:
        sk = item["SK"]["S"]
        if sk.startswith(CHANNEL_SK_PREFIX) and "channel_id" in item:
            child = channel_pk(int(item["channel_id"]["N"]))
            if child not in advanced.partitions:
                advanced.partitions.append(child)
    try:
        client.put_item(
            TableName=_table(),
            Item=advanced.item(),
            ConditionExpression="#round = :round",
            ExpressionAttributeNames={"#round": "round"},
            ExpressionAttributeValues={":round": {"N": str(job.round)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return True  # a redelivered round: the job has moved on already
        raise Unavailable("The store refused the purge job.") from exc
    keys = [k for k in _keys(items) if k != job_key]
    for start_at in range(0, len(keys), 25):
        requests = [{"DeleteRequest": {"Key": k}} for k in keys[start_at : start_at + 25]]
        pending: dict[str, Any] = {_table(): requests}
        while pending:
            answer = client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
    return True
