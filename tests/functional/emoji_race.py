"""Two client processes uploading a guild's 50th emoji at once, against one moto server.

Not a test module: the processes import it fresh (spawn), so nothing here imports Parley at
module level (see tests/functional/race.py, whose harness the test reuses).
"""

from __future__ import annotations

import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from tests.handlerproc import point_at


def organiser(endpoint: str, table: str, conn: Connection) -> None:
    """Process body: ``("new",)`` makes a guild holding 49 emoji (by its counter) and
    answers (guild id, owner); ``("count", guild_id, owner)`` answers (the counter, emoji
    listed). None ends it."""
    point_at(endpoint, table)
    import boto3

    from shared.config import get_settings
    from shared.guilds.domain.size_limits import MAX_EMOJIS
    from shared.table.keys import GUILD_SK, guild_pk
    from tests.functional.apigw import request
    from tests.functional.guildkit import create_guild, new_user, set_attributes

    boto3.client("s3").create_bucket(Bucket=get_settings().attachments_bucket)
    while (command := conn.recv()) is not None:
        if command[0] == "new":
            owner = new_user()
            guild = create_guild(owner)
            key = {"PK": guild_pk(int(guild["id"])), "SK": GUILD_SK}
            set_attributes(key, emoji_count=MAX_EMOJIS - 1)
            conn.send((guild["id"], owner))
        else:
            _, guild_id, owner = command
            item = (
                boto3.resource("dynamodb")
                .Table(table)
                .get_item(Key={"PK": guild_pk(int(guild_id)), "SK": GUILD_SK}, ConsistentRead=True)[
                    "Item"
                ]
            )
            listed = request("GET", f"/guilds/{guild_id}/emojis", user=owner).body
            conn.send((int(item["emoji_count"]), len(listed)))


def uploader(endpoint: str, table: str, barrier: Barrier, conn: Connection) -> None:
    """Process body: for each (guild id, owner) received, wait for the other uploader, then
    upload; answer (status, code, started, finished) on the monotonic clock. None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request
    from tests.images import data_uri, png

    image = data_uri(png())
    request("GET", "/guilds/1/emojis", user=1)  # import and connect before the race
    while (job := conn.recv()) is not None:
        guild_id, owner = job
        barrier.wait(timeout=60)
        started = time.monotonic()
        body = {"name": "race", "image": image}
        reply = request("POST", f"/guilds/{guild_id}/emojis", user=owner, body=body)
        conn.send((reply.status, reply.body.get("code"), started, time.monotonic()))
