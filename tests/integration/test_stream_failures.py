"""A poison stream record on the local stack: isolated, sent to the failure queue, replayed.

The fixture template's PoisonFunction reports a record with a ``poison`` attribute failed
until the test repairs it; its mapping bisects, reports item failures, retries twice and sends
what it gives up on to PoisonFailuresQueue, as the template says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURE_TEMPLATE
from tests.integration.stackproc import REPO_ROOT, StackProcess, wait_for
from tests.integration.test_emulator_streams import delivered, table

pytestmark = pytest.mark.integration

QUEUE = "parley-local-PoisonFailuresQueue"


def _sqs(stack: StackProcess) -> Any:
    return stack.store_client("sqs")


def _queue_counts(stack: StackProcess) -> tuple[int, int]:
    sqs = _sqs(stack)
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _done(stack: StackProcess, prefix: str) -> set[str]:
    return {
        r["dynamodb"]["Keys"]["PK"]["S"]
        for r in delivered(stack, "poison-done")
        if r["dynamodb"]["Keys"]["PK"]["S"].startswith(prefix)
    }


def _replay(stack: StackProcess) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(stack.env)
    env.update(stack.store_env())
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "replay-stream-failures",
            "--queue",
            QUEUE,
            "--function",
            "PoisonFunction",
            "--template",
            str(FIXTURE_TEMPLATE),
            "--visibility-timeout",
            "0",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_poison_record_reaches_the_queue_alone_and_replays_once_repaired(
    fixture_stack: StackProcess,
) -> None:
    run = uuid.uuid4().hex[:8]
    prefix = f"poison-{run}-"
    names = [f"{prefix}{i:02d}" for i in range(10)]
    items = table(fixture_stack)
    for i, name in enumerate(names):
        item: dict[str, Any] = {"PK": name, "SK": "A"}
        if i == 4:
            item["poison"] = 1
        items.put_item(Item=item)
    poison = names[4]

    # Every other record is done; the poison's batch is reported to the queue, once.
    wait_for(lambda: _done(fixture_stack, prefix) == set(names) - {poison}, 60, "the others")
    sqs = _sqs(fixture_stack)
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    wait_for(lambda: _queue_counts(fixture_stack) == (1, 0), 60, "one failure message")
    body = json.loads(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3  # once, then 2 retries
    poison_record = next(
        r for r in delivered(fixture_stack) if r["dynamodb"]["Keys"]["PK"]["S"] == poison
    )
    info = body["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == poison_record["dynamodb"]["SequenceNumber"]
    assert info["streamArn"] == poison_record["eventSourceARN"]
    assert info["batchSize"] >= 1
    assert poison not in _done(fixture_stack, prefix)

    # Not repaired yet: the replay fails, and the message stays.
    still_broken = _replay(fixture_stack)
    assert still_broken.returncode == 1, still_broken.stderr
    assert sum(_queue_counts(fixture_stack)) == 1
    assert poison not in _done(fixture_stack, prefix)

    (Path(fixture_stack.env["FIXTURE_RECORD_DIR"]) / f"repaired-{poison}").touch()
    fixed = _replay(fixture_stack)
    assert fixed.returncode == 0, fixed.stderr
    assert "1 batches replayed" in fixed.stdout
    assert poison in _done(fixture_stack, prefix)
    assert _queue_counts(fixture_stack) == (0, 0)
