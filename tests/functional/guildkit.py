"""Helpers for the guild-area functional tests: users, guilds, members with roles, and a
stream tap that reads the table stream (moto's) and feeds the guild stream consumer, as the
event source mapping would."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config

from emulator.streams import lambda_record
from shared.guilds.domain.channel import Channel, ChannelType
from shared.guilds.domain.member import Member
from shared.guilds.storage import channels as channel_store
from shared.guilds.storage import members as member_store
from shared.guilds.storage.channels import ChannelRecord
from shared.guilds.storage.members import MemberRecord
from shared.ids import new_id
from shared.table.keys import channel_sk, guild_pk
from tests.functional.apigw import LambdaContext, handler_for, request


def new_user() -> int:
    """A user id (user records belong to the auth area; memberships only need the id)."""
    return new_id()


def create_guild(owner: int, name: str = "Test guild") -> dict[str, Any]:
    reply = request("POST", "/guilds", user=owner, body={"name": name})
    assert reply.status == 201, reply
    return reply.body


def text_channel(guild: dict[str, Any]) -> str:
    return next(c["id"] for c in guild["channels"] if c["type"] == 0)


#: One unlimited invite per guild, made by its owner on the first join (an owner making one
#: per member would spend their invite budget: shared/limits/per_user.py).
_INVITES: dict[str, str] = {}


def join(guild: dict[str, Any], user: int) -> None:
    """``user`` joins through the guild's invite, made by the owner."""
    if (code := _INVITES.get(guild["id"])) is None:
        owner = int(guild["owner_id"])
        body = {"max_age": 0, "max_uses": 0}
        invite = request("POST", f"/channels/{text_channel(guild)}/invites", user=owner, body=body)
        assert invite.status == 201, invite
        code = _INVITES[guild["id"]] = invite.body["code"]
    joined = request("POST", f"/invites/{code}", user=user)
    assert joined.status == 200, joined


def make_role(
    guild: dict[str, Any], permissions: int, *, position: int | None = None, name: str = "role"
) -> str:
    """A role made by the owner (moved to ``position`` when given); its id."""
    owner = int(guild["owner_id"])
    body = {"name": name, "permissions": str(permissions)}
    reply = request("POST", f"/guilds/{guild['id']}/roles", user=owner, body=body)
    assert reply.status == 201, reply
    role_id = reply.body["id"]
    if position is not None:
        moved = request(
            "PATCH",
            f"/guilds/{guild['id']}/roles/{role_id}",
            user=owner,
            body={"position": position},
        )
        assert moved.status == 200, moved
    return str(role_id)


def give_role(guild: dict[str, Any], user: int, role_id: str) -> None:
    owner = int(guild["owner_id"])
    reply = request("PUT", f"/guilds/{guild['id']}/members/{user}/roles/{role_id}", user=owner)
    assert reply.status == 204, reply


def member_with(guild: dict[str, Any], permissions: int, *, position: int | None = None) -> int:
    """A new member holding a new role with ``permissions``."""
    user = new_user()
    join(guild, user)
    give_role(guild, user, make_role(guild, permissions, position=position))
    return user


def table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["PARLEY_TABLE_NAME"])


def set_attributes(key: dict[str, str], **values: Any) -> None:
    """Test set-up only: change stored attributes directly (counters, timestamps)."""
    names = {f"#{k}": k for k in values}
    table().update_item(
        Key=key,
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
    )


def seed_members(guild: dict[str, Any], count: int) -> list[int]:
    """Test set-up only: ``count`` plain members written in one batch (no events, no counter),
    where a limit test needs many and joining one by one would only add minutes."""
    guild_id = int(guild["id"])
    users = [new_user() for _ in range(count)]
    with MemberRecord.batch_write() as batch:
        for user in users:
            batch.save(
                member_store.record_of(
                    Member(guild_id=guild_id, user_id=user, joined_at=datetime.now(UTC)),
                    version=1,
                )
            )
    return users


def seed_channels(guild: dict[str, Any], count: int) -> list[str]:
    """Test set-up only: ``count`` text channels written in one batch (no events, no counter)."""
    guild_id = int(guild["id"])
    channels = [
        Channel(id=new_id(), guild_id=guild_id, type=ChannelType.TEXT, name=f"seeded-{i}")
        for i in range(count)
    ]
    with ChannelRecord.batch_write() as batch:
        for channel in channels:
            batch.save(channel_store.record_of(channel, version=1))
    return [str(c.id) for c in channels]


def seed_overwrites(guild: dict[str, Any], channel_id: str, users: list[int], allow: int) -> None:
    """Test set-up only: member overwrites stored on a channel directly."""
    set_attributes(
        {"PK": guild_pk(int(guild["id"])), "SK": channel_sk(int(channel_id))},
        overwrites={str(u): {"type": 1, "allow": allow, "deny": 0} for u in users},
    )


@dataclass
class StreamTap:
    """Reads the table's stream from where it last stopped."""

    iterators: dict[str, str] = field(default_factory=dict)
    arn: str = ""

    def __post_init__(self) -> None:
        client = boto3.client("dynamodb")
        # botocore sends stream calls to account-based endpoints (<account>.streams-ddb...),
        # which moto's in-process mock does not recognise; the regional endpoint it does.
        self.streams = boto3.client(
            "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
        )
        self.arn = client.describe_table(TableName=os.environ["PARLEY_TABLE_NAME"])["Table"][
            "LatestStreamArn"
        ]

    def read(self) -> list[dict[str, Any]]:
        """Every record since the last read, as Lambda receives them."""
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = (
                self.iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            while True:
                page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                records += [lambda_record(r, self.arn) for r in page["Records"]]
                iterator = page["NextShardIterator"]
                if not page["Records"]:
                    break
            self.iterators[shard_id] = iterator
        return records

    def events(self) -> list[dict[str, Any]]:
        """The outbox events written since the last read: ``{t, guild_id, channel_id,
        user_id, d, audit}``, in order."""
        return [outbox_event(r) for r in self.read() if is_outbox_insert(r)]

    def pump(self, max_rounds: int = 1000) -> list[dict[str, Any]]:
        """Feed the guild stream consumer until the stream is quiet (purge rounds write more
        records); every record delivered."""
        handler = handler_for("GuildStreamFunction")
        delivered: list[dict[str, Any]] = []
        for _ in range(max_rounds):
            records = self.read()
            if not records:
                return delivered
            for start in range(0, len(records), 100):
                batch = records[start : start + 100]
                result = handler({"Records": batch}, LambdaContext())
                assert result == {"batchItemFailures": []}, result
            delivered += records
        raise AssertionError("the stream did not go quiet")


def is_outbox_insert(record: dict[str, Any]) -> bool:
    image = record["dynamodb"].get("NewImage") or {}
    return record["eventName"] == "INSERT" and image.get("type", {}).get("S") == "event"


def outbox_event(record: dict[str, Any]) -> dict[str, Any]:
    image = record["dynamodb"]["NewImage"]

    def number(name: str) -> str | None:
        return image[name]["N"] if name in image else None

    return {
        "t": image["event"]["S"],
        "guild_id": number("guild_id"),
        "channel_id": number("channel_id"),
        "user_id": number("user_id"),
        "d": json.loads(image["data"]["S"]),
        "audit": json.loads(image["audit"]["S"]) if "audit" in image else None,
    }
