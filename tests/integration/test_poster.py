"""The fan-out's poster against a real HTTP server: order per connection, 410, retries, its
concurrency bound, its deadline, and TLS."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trustme
from aiohttp import web

from shared.gateway.poster import Delivery, Poster, PostResult

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
        self.gone_after: dict[str, int] = {}  # connection -> frames taken before a 410
        self.failing = {"down-1"}  # always 503
        self.attempts: dict[str, int] = defaultdict(int)
        self.stuck = {"stuck-1"}  # never answered
        self.in_flight = 0
        self.most_in_flight = 0
        self.hold_until: int | None = None  # hold requests until this many are in flight
        self.held = asyncio.Event()

    async def post(self, request: web.Request) -> web.Response:
        connection = request.match_info["id"]
        self.attempts[connection] += 1
        self.signed.append(request.headers.get("Authorization", ""))
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
            self.transports.append(request.transport)
        if connection in self.stuck:
            await asyncio.Event().wait()
        if connection in self.gone or len(self.received[connection]) == self.gone_after.get(
            connection
        ):
            return web.json_response({"message": "gone"}, status=410)
        if connection in self.throttle_once:
            self.throttle_once.discard(connection)
            return web.json_response({"message": "slow down"}, status=429)
        if connection in self.failing:
            return web.json_response({"message": "unavailable"}, status=503)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hold_until is not None:
                if self.in_flight >= self.hold_until:
                    self.held.set()
                await self.held.wait()
            self.received[connection].append(await request.read())
        finally:
            self.in_flight -= 1
        return web.Response(status=200)


class Opened:
    """A poster whose blocking sends run on a thread (the server shares the test's loop),
    closed afterwards (its connections outlive each send)."""

    def __init__(self, concurrency: int, **options: Any) -> None:
        self.poster = Poster("us-east-1", concurrency=concurrency, **options)

    async def send(self, deliveries: list[Delivery]) -> list[PostResult]:
        return await asyncio.to_thread(self.poster.send, deliveries)


@contextlib.asynccontextmanager
async def opened(concurrency: int, **options: Any) -> AsyncIterator[Opened]:
    held = Opened(concurrency, **options)
    try:
        yield held
    finally:
        await asyncio.to_thread(held.poster.close)


@contextlib.asynccontextmanager
async def serving(
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[ConnectionsApi, str]]:
    recorder = ConnectionsApi()
    app = web.Application()
    app.router.add_post("/v1/@connections/{id}", recorder.post)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield recorder, f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


@pytest.fixture
async def api() -> AsyncIterator[tuple[ConnectionsApi, str]]:
    async with serving() as served:
        yield served


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


async def test_a_kept_connection_that_closes_as_it_is_taken_is_replaced(
    api: tuple[ConnectionsApi, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the open-check before reuse cannot close: the connection is handed out as
    open, and has closed by the time the request goes out on it."""
    recorder, endpoint = api
    async with opened(1) as poster:
        await poster.send([Delivery("a", endpoint, [b"1"])])
        (kept,) = [k.connection for ks in poster.poster._idle.values() for k in ks]
        await asyncio.wrap_future(kept.close())
        monkeypatch.setattr(type(kept), "is_open", lambda self: True)  # seen open when taken
        (result,) = await poster.send([Delivery("a", endpoint, [b"2"])])
    assert (result.sent, result.failed) == (1, False)
    assert recorder.received["a"] == [b"1", b"2"]


async def test_a_410_after_some_frames_keeps_the_count_sent(
    api: tuple[ConnectionsApi, str],
) -> None:
    recorder, endpoint = api
    recorder.gone_after["leaving"] = 2
    async with opened(2) as poster:
        (result,) = await poster.send([Delivery("leaving", endpoint, [b"1", b"2", b"3", b"4"])])
    assert (result.sent, result.gone, result.failed) == (2, True, False)
    assert recorder.received["leaving"] == [b"1", b"2"]


async def test_a_post_that_keeps_failing_is_tried_three_times_then_reported(
    api: tuple[ConnectionsApi, str],
) -> None:
    recorder, endpoint = api
    async with opened(2) as poster:
        down, up = await poster.send(
            [Delivery("down-1", endpoint, [b"a", b"b"]), Delivery("up-1", endpoint, [b"c"])]
        )
    assert (down.sent, down.gone, down.failed) == (0, False, True)
    assert recorder.attempts["down-1"] == 3  # then the frame after it is not sent
    assert (up.sent, up.failed) == (1, False)
    assert recorder.attempts["up-1"] == 1  # a delivery that succeeded is not sent again


async def test_at_most_concurrency_posts_are_in_flight(api: tuple[ConnectionsApi, str]) -> None:
    recorder, endpoint = api
    recorder.hold_until = 4
    deliveries = [Delivery(f"c-{n}", endpoint, [b"1", b"2", b"3"]) for n in range(40)]
    async with opened(4) as poster:
        results = await poster.send(deliveries)
    assert all(r.sent == 3 for r in results)
    assert recorder.most_in_flight == 4
    assert all(recorder.received[f"c-{n}"] == [b"1", b"2", b"3"] for n in range(40))


async def test_a_post_never_answered_fails_at_the_deadline_and_the_rest_arrive(
    api: tuple[ConnectionsApi, str],
) -> None:
    recorder, endpoint = api
    deliveries = [Delivery("stuck-1", endpoint, [b"x"])]
    deliveries += [Delivery(f"c-{n}", endpoint, [b"y"]) for n in range(10)]
    began = time.monotonic()
    async with opened(2, deadline_s=3.0) as poster:
        stuck, *others = await poster.send(deliveries)
        assert time.monotonic() - began < 10
        assert (stuck.sent, stuck.failed) == (0, True)
        assert all(r.sent == 1 and not r.failed for r in others)
        # The poster still works after closing the connection it gave up on.
        (again,) = await poster.send([Delivery("c-0", endpoint, [b"z"])])
    assert again.sent == 1
    assert recorder.received["c-0"] == [b"y", b"z"]


async def test_an_endpoint_nobody_listens_on_fails_its_deliveries() -> None:
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with opened(2) as poster:
        (result,) = await poster.send([Delivery("a", f"http://127.0.0.1:{port}/v1", [b"x"])])
    assert (result.sent, result.gone, result.failed) == (0, False, True)


async def test_posts_over_tls_are_verified_and_delivered(tmp_path) -> None:
    """API Gateway's endpoint is https. (That a certificate no trusted authority issued is
    refused is the runtime's default, not tried here: s2n stalls 10-30 s on a failed
    handshake, as a guard against timing attacks.)"""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    trusted = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(trusted))
    async with serving(context) as (recorder, endpoint):
        async with opened(2, trust_store=str(trusted)) as poster:
            results = await poster.send(
                [Delivery("Lx3=ab", endpoint, [b"1", b"2"]), Delivery("b", endpoint, [b"3"])]
            )
        assert [r.sent for r in results] == [2, 1]
        assert recorder.received["Lx3=ab"] == [b"1", b"2"]


async def test_posts_over_tls_trust_the_ca_botocore_is_told_of(tmp_path, monkeypatch) -> None:
    """Without a trust store of its own, the poster trusts what AWS_CA_BUNDLE names, as boto3
    does: how the emulator's functions trust its local @connections certificate."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    trusted = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(trusted))
    monkeypatch.setenv("AWS_CA_BUNDLE", str(trusted))
    async with serving(context) as (recorder, endpoint):
        async with opened(2) as poster:
            (result,) = await poster.send([Delivery("tls-1", endpoint, [b"1", b"2"])])
        assert (result.sent, result.failed) == (2, False)
        assert recorder.received["tls-1"] == [b"1", b"2"]
