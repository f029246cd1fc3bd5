"""Two client processes racing through the invites function against one moto server.

Not a test module: the processes import it fresh (spawn), so nothing here imports Parley at
module level — each process first points its environment at the server, then imports.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier

from werkzeug.serving import make_server

from tests.handlerproc import point_at


def _serve_moto(conn: Connection) -> None:
    """Process body: a serialising moto server on an ephemeral port; sends its port."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    from emulator.store_server import SerialApp

    app = SerialApp(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    conn.send(server.server_address[1])
    server.serve_forever()


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on an ephemeral loopback port, in a process of its own; its URL.

    Its own process, so that the in-process ``mock_aws`` the functional tests run under (which
    resets moto's backends when it starts) cannot touch it.
    """
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    process = ctx.Process(target=_serve_moto, args=(there,), daemon=True)
    process.start()
    try:
        assert here.poll(60), "the moto server did not start"
        yield f"http://127.0.0.1:{here.recv()}"
    finally:
        process.terminate()
        process.join(10)


def organiser(endpoint: str, table: str, conn: Connection) -> None:
    """Process body: ``("new",)`` makes a guild with a 1-use invite and two would-be members;
    ``("count", guild_id, owner)`` answers (member_count, members listed). None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request
    from tests.functional.guildkit import create_guild, new_user, text_channel

    while (command := conn.recv()) is not None:
        if command[0] == "new":
            owner = new_user()
            guild = create_guild(owner)
            channel = text_channel(guild)
            body = {"max_uses": 1}
            invite = request("POST", f"/channels/{channel}/invites", user=owner, body=body)
            conn.send((guild["id"], owner, invite.body["code"], [new_user(), new_user()]))
        else:
            _, guild_id, owner = command
            guild = request("GET", f"/guilds/{guild_id}", user=owner).body
            url = f"/guilds/{guild_id}/members"
            members = request("GET", url, user=owner, query={"limit": 10}).body
            conn.send((guild["member_count"], len(members)))


def joiner(endpoint: str, table: str, barrier: Barrier, conn: Connection) -> None:
    """Process body: for each (code, user) received, wait for the other joiner, then join;
    answer (status, started, finished) on the monotonic clock. None ends it."""
    point_at(endpoint, table)
    from tests.functional.apigw import request

    request("GET", "/invites/warm-up", user=1)  # import and connect before the race
    while (job := conn.recv()) is not None:
        code, user = job
        barrier.wait(timeout=60)
        started = time.monotonic()
        reply = request("POST", f"/invites/{code}", user=user)
        conn.send((reply.status, started, time.monotonic()))
