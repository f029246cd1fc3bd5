"""A poison gateway event on Parley's own stack: an outbox item of an event this code does not
know (as a newer deployment could write during a rolling deploy) among a guild's messages.

Both stream consumers give up on it alone and send it to their failure queues; every other
message of the guild is sequenced, delivered and replayed by RESUME; replaying the queue while
the fan-out still cannot read the event leaves the message where it is.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulator.replay import read_range
from emulator.stream_failures import BatchInfo
from shared.ids import new_id
from shared.table.keys import event_sk, guild_events_pk
from tests.integration.chat import User
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import REPO_ROOT, StackProcess, wait_for

pytestmark = pytest.mark.integration

TABLE = "parley-local-Table"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _client(stack: StackProcess, service: str) -> Any:
    return stack.store_client(service)


def _write_poison(stack: StackProcess, guild_id: str) -> dict[str, Any]:
    """The outbox item of an event name no code here knows; its key."""
    key = {"PK": {"S": guild_events_pk(int(guild_id))}, "SK": {"S": event_sk(new_id())}}
    _client(stack, "dynamodb").put_item(
        TableName=TABLE,
        Item={
            **key,
            "type": {"S": "event"},
            "event_id": {"N": str(new_id())},
            "event": {"S": "GUILD_FUTURE_FEATURE"},
            "guild_id": {"N": guild_id},
            "data": {"S": "{}"},
            "expires_at": {"N": str(int(time.time()) + 86400)},
        },
    )
    return key


def _failures_holding(stack: StackProcess, queue: str, key: dict[str, Any]) -> list[BatchInfo]:
    """The batches of a failure queue whose range holds the item's record (read back from the
    stream, as the replay command reads it); messages stay in the queue."""
    sqs = _client(stack, "sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found = []
    for message in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", []):
        info = BatchInfo.from_message(message["Body"])
        records = read_range(_client(stack, "dynamodbstreams"), info)
        if any(r["dynamodb"]["Keys"] == key for r in records):
            found.append(info)
    return found


def _messages(client: GatewayClient) -> list[str]:
    return [d["d"]["content"] for d in client.events("MESSAGE_CREATE")]


async def test_a_poison_event_is_isolated_and_every_other_message_is_delivered_and_resumable(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    owner = User.register(parley_stack, http)
    guild = await owner.call("POST", "/guilds", {"name": "poisoned"}, expect=201)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    live = GatewayClient(parley_stack.info["ws_url"], owner.token, http)
    later = GatewayClient(parley_stack.info["ws_url"], owner.token, http)
    for client in (live, later):
        await client.connect()
        await client.identify()

    async def say(text: str) -> None:
        await owner.call("POST", f"/channels/{channel}/messages", {"content": text}, expect=201)

    await say("before")
    await later.wait_for(lambda f: f.get("t") == "MESSAGE_CREATE")
    await later.drop()  # it comes back by RESUME
    poison = _write_poison(parley_stack, guild["id"])
    for text in ("after 1", "after 2"):
        await say(text)

    while len(_messages(live)) < 3:
        await live.wait_for(lambda f: f.get("t") == "MESSAGE_CREATE", within=60)
    assert _messages(live) == ["before", "after 1", "after 2"]
    assert not live.events("GUILD_FUTURE_FEATURE")

    # The fan-out gave up on the poison alone (5 retries), the guild stream too (10).
    (fanout_failure,) = wait_for(
        lambda: _failures_holding(parley_stack, "parley-local-FanoutFailuresQueue", poison),
        60,
        "the fan-out's failure message",
    )
    wait_for(
        lambda: _failures_holding(parley_stack, "parley-local-GuildStreamFailuresQueue", poison),
        90,
        "the guild stream's failure message",
    )

    # What was sequenced around it is replayed by RESUME.
    await later.connect()
    assert (await later.resume())["t"] == "RESUMED"
    while len(_messages(later)) < 3:
        await later.wait_for(lambda f: f.get("t") == "MESSAGE_CREATE", within=60)
    assert _messages(later) == ["before", "after 1", "after 2"]
    assert later.repeats == 0

    # The fan-out still cannot read it: the replay fails and the message stays.
    env = {**os.environ, **parley_stack.store_env()}
    env.update({k: v for k, v in parley_stack.env.items() if k.startswith("PARLEY_")})
    replay = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "emulator.cli",
            "replay-stream-failures",
            "--queue",
            "parley-local-FanoutFailuresQueue",
            "--function",
            "FanoutFunction",
            "--visibility-timeout",
            "0",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert "GUILD_FUTURE_FEATURE" in replay.stderr
    assert fanout_failure in _failures_holding(
        parley_stack, "parley-local-FanoutFailuresQueue", poison
    )
    for client in (live, later):
        await client.drop()
