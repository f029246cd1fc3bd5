"""Two client processes racing through a function against one moto server: the harness
(:func:`table_server`, :func:`contest`), and the invite race's process bodies.

Not a test module: the processes import it fresh (spawn), so nothing here imports Parley at
module level — each process first points its environment at the server, then imports.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from typing import Any

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


@contextmanager
def table_server(table: str) -> Iterator[str]:
    """:func:`moto_server` holding the template's table under the name ``table``."""
    from emulator.store import ensure_tables
    from tests.functional.apigw import template

    with moto_server() as endpoint:
        spec = dataclasses.replace(template().tables["Table"], name=table)
        ensure_tables(endpoint, "us-east-1", [spec])
        yield endpoint


class Contest:
    """An organiser process that sets each round up and answers questions, and two contender
    processes that a barrier releases together each round."""

    def __init__(self, organiser: Connection, contenders: list[Connection]) -> None:
        self._organiser = organiser
        self._contenders = contenders

    def ask(self, *command: Any) -> Any:
        """The organiser's answer to ``command``."""
        self._organiser.send(command)
        assert self._organiser.poll(120), "the organiser did not answer"
        return self._organiser.recv()

    def round(self, jobs: list[Any]) -> list[Any]:
        """Each contender's answer to its job (in order), run at the same moment."""
        for conn, job in zip(self._contenders, jobs, strict=True):
            conn.send(job)
        answers = []
        for conn in self._contenders:
            assert conn.poll(120), "a contender did not answer"
            answers.append(conn.recv())
        return answers


@contextmanager
def contest(
    endpoint: str,
    table: str,
    organiser: Callable[[str, str, Connection], None],
    contender: Callable[[str, str, Barrier, Connection], None],
) -> Iterator[Contest]:
    """The processes of a :class:`Contest` (spawned, so each imports Parley afresh), ended
    afterwards."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    setup_here, setup_there = ctx.Pipe()
    pipes = [ctx.Pipe() for _ in range(2)]
    processes = [ctx.Process(target=organiser, args=(endpoint, table, setup_there))]
    processes += [
        ctx.Process(target=contender, args=(endpoint, table, barrier, there)) for _, there in pipes
    ]
    for process in processes:
        process.start()
    try:
        yield Contest(setup_here, [here for here, _ in pipes])
    finally:
        for conn in (setup_here, *(here for here, _ in pipes)):
            conn.send(None)
        for process in processes:
            process.join(30)


def overlapped(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two (started, finished) spans on the monotonic clock overlap."""
    return a[0] < b[1] and b[0] < a[1]


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
