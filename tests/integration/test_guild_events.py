"""Guild changes travel through the running stack's table stream.

The REST calls here go through the same handlers in a process pointed at the stack's store
(``HandlerProcess``), which hands them the caller's claims as the JWT authorizer would;
everything after the write — the table stream, the emulator's stream pump, the guild stream
consumer — is the running stack's own. The last test holds the stack's HTTP API to its JWT
authorizer: without a token, the guild routes answer API Gateway's 401.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from botocore.config import Config

from tests.handlerproc import HandlerProcess
from tests.integration.stackproc import StackProcess, wait_for

pytestmark = pytest.mark.integration

TABLE = "parley-local-Table"


@pytest.fixture(scope="module")
def handlers(parley_stack: StackProcess) -> Iterator[HandlerProcess]:
    with HandlerProcess(parley_stack.info["store_url"], TABLE, parley_stack.store_env()) as process:
        yield process


def stream_records(stack: StackProcess) -> list[dict[str, Any]]:
    """Every record of the stack table's stream so far (read directly, from the start)."""
    client = stack.store_client("dynamodb")
    streams = stack.store_client(
        "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def outbox(records: list[dict[str, Any]], guild_id: str) -> list[dict[str, Any]]:
    events = []
    for record in records:
        image = record["dynamodb"].get("NewImage") or {}
        if record["eventName"] != "INSERT" or image.get("type", {}).get("S") != "event":
            continue
        if image.get("guild_id", {}).get("N") != guild_id:  # user-scoped events have none
            continue
        events.append(
            {
                "t": image["event"]["S"],
                "user_id": image.get("user_id", {}).get("N"),
                "d": json.loads(image["data"]["S"]),
            }
        )
    return events


def test_a_join_puts_guild_member_add_on_the_stream_and_the_consumer_keeps_the_audit_log(
    parley_stack: StackProcess, handlers: HandlerProcess
) -> None:
    owner, joiner = 1_000_001, 1_000_002
    status, guild = handlers.request("POST", "/guilds", user=owner, body={"name": "Stacked"})
    assert status == 201
    gid = guild["id"]
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    status, invite = handlers.request(
        "POST",
        f"/channels/{channel}/invites",
        user=owner,
        body={"max_uses": 1},
        headers={"X-Audit-Log-Reason": "for%20a%20friend"},
    )
    assert status == 201
    status, joined = handlers.request("POST", f"/invites/{invite['code']}", user=joiner)
    assert status == 200
    assert joined["id"] == gid

    # the change is on the table stream, as the one outbox item the fan-out will deliver
    events = wait_for(
        lambda: [
            e for e in outbox(stream_records(parley_stack), gid) if e["t"] == "GUILD_MEMBER_ADD"
        ],
        30,
        "GUILD_MEMBER_ADD on the stream",
    )
    assert len(events) == 1
    assert events[0]["d"]["user"]["id"] == str(joiner)
    assert events[0]["d"]["guild_id"] == gid
    names = [e["t"] for e in outbox(stream_records(parley_stack), gid)]
    assert names == ["GUILD_CREATE", "INVITE_CREATE", "GUILD_MEMBER_ADD", "GUILD_CREATE"]

    # the stack's stream pump fed the guild stream consumer, which wrote the audit log
    def audit_entries() -> list[dict[str, Any]]:
        status, log = handlers.request("GET", f"/guilds/{gid}/audit-log", user=owner)
        assert status == 200
        return log["audit_log_entries"]

    (entry,) = wait_for(audit_entries, 60, "the audit log entry of the invite")
    assert entry["action_type"] == 40
    assert entry["user_id"] == str(owner)
    assert entry["reason"] == "for a friend"


def test_a_deleted_guild_is_purged_by_the_stacks_stream_pump(
    parley_stack: StackProcess, handlers: HandlerProcess
) -> None:
    owner = 1_000_003
    status, guild = handlers.request("POST", "/guilds", user=owner, body={"name": "Doomed"})
    assert status == 201
    assert handlers.request("DELETE", f"/guilds/{guild['id']}", user=owner)[0] == 204
    assert handlers.request("GET", f"/guilds/{guild['id']}", user=owner)[0] == 404
    table = parley_stack.store_resource("dynamodb").Table(TABLE)

    def gone() -> bool:
        left = table.query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": f"GUILD#{guild['id']}"},
        )["Items"]
        job = table.query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": f"PURGE#guild-{guild['id']}"},
        )["Items"]
        return not left and not job

    wait_for(gone, 60, "the guild's partition and its purge job to be gone")


async def test_guild_routes_are_served_and_refuse_without_claims(
    parley_stack: StackProcess,
) -> None:
    """The routes are in the stack, behind the JWT authorizer: no token, API Gateway's 401."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{parley_stack.info['http_url']}/api/v1/guilds", json={"name": "x" * 5}) as r,
    ):
        assert r.status == 401
        assert await r.json() == {"message": "Unauthorized"}
        assert "www-authenticate" in r.headers
