"""Two client processes opening the same DM at once, against one moto server.

Not a test module: the processes import it fresh (spawn), so nothing here imports Parley at
module level (see tests/functional/race.py, whose moto server the test reuses).
"""

from __future__ import annotations

import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from tests.handlerproc import point_at


def account() -> int:
    """A new user with an account (a DM's recipient must exist), stored directly: the
    register route's per-address rate limit is not what these tests are about."""
    from datetime import UTC, datetime

    from shared.auth.domain.users import User
    from shared.auth.storage.users import create_user
    from shared.ids import new_id

    user_id = new_id()
    name = f"u{user_id}"
    create_user(User(user_id, name, f"{name}@example.com", datetime.now(UTC)), None)
    return user_id


def acquaintances() -> tuple[int, int]:
    """Two new accounts who share a guild: either may open a DM with the other."""
    a, b = circle(2)
    return a, b


def circle(n: int) -> list[int]:
    """``n`` new accounts who share a guild: each may DM, or add to a group, any other. Test
    set-up only: their memberships are written straight to the store (the race's organiser
    process would otherwise load and run the guild and invite functions for every round)."""
    from datetime import UTC, datetime

    from shared.guilds.domain.member import Member
    from shared.guilds.storage.members import MemberRecord, record_of
    from shared.ids import new_id

    users = [account() for _ in range(n)]
    guild_id = new_id()
    with MemberRecord.batch_write() as batch:
        for user in users:
            member = Member(guild_id=guild_id, user_id=user, joined_at=datetime.now(UTC))
            batch.save(record_of(member, version=1))
    return users


def organiser(endpoint: str, table: str, conn: Connection) -> None:
    """Process body: ``("new",)`` registers two users who share a guild and answers their
    ids; ``("group",)`` creates a group DM of nine who share a guild with two more, and
    answers ``(channel, owner, [the two])``; ``("list", user)`` answers the ids of that user's
    DMs, ``("recipients", channel, user)`` the others in a group. None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request

    while (command := conn.recv()) is not None:
        if command[0] == "new":
            conn.send(acquaintances())
        elif command[0] == "group":
            owner, *others = circle(11)
            body = {"recipients": [str(u) for u in others[:8]]}
            group = request("POST", "/users/@me/channels", user=owner, body=body).body
            conn.send((group["id"], owner, others[8:]))
        elif command[0] == "recipients":
            _, channel, user = command
            group = request("GET", f"/channels/{channel}", user=user).body
            conn.send([r["id"] for r in group["recipients"]])
        else:
            listed = request("GET", "/users/@me/channels", user=command[1])
            conn.send([c["id"] for c in listed.body])


def opener(endpoint: str, table: str, barrier: Barrier, conn: Connection) -> None:
    """Process body: for each (user, recipient) received, wait for the other opener, then open
    the DM; answer (status, channel id, started, finished). None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request

    request("GET", "/users/@me/channels", user=1)  # import and connect before the race
    while (job := conn.recv()) is not None:
        user, recipient = job
        barrier.wait(timeout=60)
        started = time.monotonic()
        body = {"recipient_id": str(recipient)}
        reply = request("POST", "/users/@me/channels", user=user, body=body)
        channel = reply.body.get("id") if isinstance(reply.body, dict) else None
        conn.send((reply.status, channel, started, time.monotonic()))


def adder(endpoint: str, table: str, barrier: Barrier, conn: Connection) -> None:
    """Process body: for each (channel, user, target) received, wait for the other adder, then
    add ``target`` to the group; answer (status, code, started, finished). None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request

    request("GET", "/users/@me/channels", user=1)  # import and connect before the race
    while (job := conn.recv()) is not None:
        channel, user, target = job
        barrier.wait(timeout=60)
        started = time.monotonic()
        reply = request("PUT", f"/channels/{channel}/recipients/{target}", user=user)
        code = reply.body.get("code") if isinstance(reply.body, dict) else None
        conn.send((reply.status, code, started, time.monotonic()))
