"""The fan-out's poster against a real HTTP server: order per connection, 410, retries."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from shared.gateway.poster import Delivery, Poster

pytestmark = pytest.mark.integration


class ConnectionsApi:
    """A stand-in @connections endpoint that records what it receives."""

    def __init__(self) -> None:
        self.received: dict[str, list[bytes]] = defaultdict(list)
        self.gone = {"gone-1"}
        self.throttle_once = {"slow-1"}
        self.signed: list[str] = []
        self.peers: set[tuple[str, int]] = set()  # the TCP connections requests came on
        self.transports: list[asyncio.Transport] = []

    async def post(self, request: web.Request) -> web.Response:
        connection = request.match_info["id"]
        self.signed.append(request.headers.get("Authorization", ""))
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
            self.transports.append(request.transport)
        if connection in self.gone:
            return web.json_response({"message": "gone"}, status=410)
        if connection in self.throttle_once:
            self.throttle_once.discard(connection)
            return web.json_response({"message": "slow down"}, status=429)
        self.received[connection].append(await request.read())
        return web.Response(status=200)


@contextlib.asynccontextmanager
async def opened(concurrency: int) -> AsyncIterator[Poster]:
    """A poster, closed afterwards (its session outlives each send)."""
    poster = Poster("us-east-1", concurrency=concurrency)
    try:
        yield poster
    finally:
        await poster.close()


@pytest.fixture
async def api() -> AsyncIterator[tuple[ConnectionsApi, str]]:
    recorder = ConnectionsApi()
    app = web.Application()
    app.router.add_post("/v1/@connections/{id}", recorder.post)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield recorder, f"http://127.0.0.1:{server.port}/v1"
    await server.close()


async def test_frames_arrive_in_order_per_connection(api: tuple[ConnectionsApi, str]) -> None:
    recorder, endpoint = api
    deliveries = [
        Delivery(f"conn-{n}", endpoint, [f"{n}:{i}".encode() for i in range(20)]) for n in range(30)
    ]
    async with opened(8) as poster:
        results = await poster.send(deliveries)
    assert all(r.sent == 20 and not r.gone and not r.failed for r in results)
    for n in range(30):
        assert recorder.received[f"conn-{n}"] == [f"{n}:{i}".encode() for i in range(20)]
    assert all(header.startswith("AWS4-HMAC-SHA256 ") for header in recorder.signed)


async def test_gone_connection_is_reported_and_others_still_served(
    api: tuple[ConnectionsApi, str],
) -> None:
    recorder, endpoint = api
    async with opened(4) as poster:
        results = await poster.send(
            [Delivery("gone-1", endpoint, [b"a", b"b"]), Delivery("ok-1", endpoint, [b"c"])]
        )
    by_id = {r.connection_id: r for r in results}
    assert by_id["gone-1"].gone
    assert by_id["gone-1"].sent == 0
    assert by_id["ok-1"].sent == 1
    assert recorder.received["ok-1"] == [b"c"]


async def test_throttled_post_is_retried(api: tuple[ConnectionsApi, str]) -> None:
    recorder, endpoint = api
    async with opened(1) as poster:
        (result,) = await poster.send([Delivery("slow-1", endpoint, [b"x", b"y"])])
    assert result.sent == 2
    assert not result.failed
    assert recorder.received["slow-1"] == [b"x", b"y"]


async def test_later_sends_reuse_the_connections(api: tuple[ConnectionsApi, str]) -> None:
    """A warm container's poster keeps its keep-alive connections between invocations."""
    recorder, endpoint = api
    async with opened(4) as poster:
        for batch in range(5):
            deliveries = [Delivery(f"conn-{n}", endpoint, [f"{batch}".encode()]) for n in range(4)]
            assert all(r.sent == 1 for r in await poster.send(deliveries))
    assert sum(len(frames) for frames in recorder.received.values()) == 20
    assert len(recorder.peers) <= 4  # not one connection per POST (20)


async def test_a_connection_closed_by_the_server_is_replaced(
    api: tuple[ConnectionsApi, str],
) -> None:
    """The other end closed the kept connections (a frozen container's idle sockets)."""
    recorder, endpoint = api
    async with opened(1) as poster:
        await poster.send([Delivery("a", endpoint, [b"1"])])
        first = set(recorder.peers)
        for transport in recorder.transports:
            transport.close()  # the server drops the idle kept connection
        (result,) = await poster.send([Delivery("a", endpoint, [b"2"])])
    assert result.sent == 1 and not result.failed
    assert recorder.received["a"] == [b"1", b"2"]
    assert recorder.peers - first, "the second POST went over a new connection"
