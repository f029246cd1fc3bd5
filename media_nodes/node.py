"""The media node: rooms, participants, the forwarder, and its HTTP face (aiohttp).

Routes:
- ``GET /rtc?token=…`` — signalling WebSocket (CONTRACT.md "Media node signalling"). The voice
  token is verified before the upgrade: a bad token gets a 401 in the CONTRACT error shape and no
  WebSocket at all.
- ``PATCH /rooms/{channel_id}/members/{user_id}`` (server mute/deafen) and ``DELETE`` of the same
  (disconnect) — the control API the functions call, with a single-use control token.
- ``GET /health`` — 200 while the node takes participants, 503 once it drains.
- ``GET /metrics`` — Prometheus text format.

SIGTERM drains (:meth:`MediaNode.drain`): the node leaves the registry so it gets no new room,
tells its clients ``{"op": "moving"}`` and runs the drain hooks (the gateway integration uses one to
re-allocate the rooms and send new ``VOICE_SERVER_UPDATE``s), waits for clients to go, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from aiortc.rtp import RtpPacket
from pydantic import BaseModel, ConfigDict, ValidationError

from media_nodes.aiortc_hooks import IcePolicy, check_internals, install_ice_policy
from media_nodes.config import MediaNodeSettings
from media_nodes.forwarding import ForwardStats
from media_nodes.metrics import CONTENT_TYPE, NodeGauges, build_registry, render
from media_nodes.registry import Heartbeat, NodeRegistry
from media_nodes.room import Room, RoomEvent, SpeakingChanged, SpeakingPolicy, TracksChanged
from media_nodes.session import Session, SignalError, parse_signal
from shared.errors import (
    Invalid,
    NotFound,
    ParleyError,
    Unauthorized,
    Unavailable,
    error_body,
    status_for,
)
from shared.voice.domain.nodes import NodeRecord
from shared.voice.voice_tokens import VoiceGrant

__all__ = ["DrainHook", "MediaNode", "RoomSnapshot", "SpeakingHook", "TokenVerifier"]

log = logging.getLogger("parley.media.node")

#: WebSocket close codes the node uses (4000-4999 are the application's).
CLOSE_REPLACED = 4001
CLOSE_DISCONNECTED = 4002
CLOSE_DRAINED = 4003
CLOSE_PROTOCOL = 4004
#: How often speaking hangovers and held-back changes are settled.
TICK_S = 0.05


@dataclass(frozen=True)
class RoomSnapshot:
    """A room as it was when the node began to drain: what the re-allocation needs."""

    guild_id: str
    channel_id: str
    user_ids: tuple[str, ...]


class TokenVerifier(Protocol):
    """What the node asks of its token checker (``shared.voice.voice_tokens``' verifier)."""

    def verify(self, token: str, now: float | None = None) -> VoiceGrant: ...

    def verify_control(self, token: str, now: float | None = None) -> None: ...


DrainHook = Callable[[list[RoomSnapshot]], Awaitable[None]]
SpeakingHook = Callable[[str, str, str, bool], Awaitable[None]]


class MemberFlags(BaseModel):
    """``PATCH /rooms/{channel}/members/{user}``: server mute/deafen (omitted: unchanged)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    server_mute: bool | None = None
    server_deaf: bool | None = None


class MediaNode:
    """One SFU process: its rooms, its participants' sessions, its registry heartbeat."""

    def __init__(
        self,
        settings: MediaNodeSettings,
        *,
        verifier: TokenVerifier,
        registry: NodeRegistry | None = None,
        session_class: type[Session] = Session,
    ) -> None:
        check_internals()
        if settings.public_ip_pending:
            raise ValueError("resolve the public address first (media_nodes.public_address)")
        install_ice_policy(
            IcePolicy(tuple(settings.ice_host_addresses), settings.public_ip, settings.rtp_ports)
        )
        self.session_class = session_class
        self.settings = settings
        self.node_id = settings.node_id
        self.verifier = verifier
        self.policy = SpeakingPolicy(
            threshold=settings.speaking_threshold,
            hangover_s=settings.speaking_hangover_s,
            min_interval_s=settings.speaking_min_interval_s,
        )
        self.rooms: dict[str, Room] = {}
        self.members: dict[str, dict[str, Session]] = {}
        self.by_user: dict[str, Session] = {}
        self.stats = ForwardStats()
        self.draining = False
        self.drain_hooks: list[DrainHook] = []
        self.speaking_hooks: list[SpeakingHook] = []
        self.endpoint = ""
        self.http_url = ""
        self._runner: web.AppRunner | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._emptied = asyncio.Event()
        self.heartbeat = (
            Heartbeat(
                registry,
                self.describe,
                interval_s=settings.heartbeat_interval_s,
                ttl_s=settings.heartbeat_ttl_s,
            )
            if registry is not None
            else None
        )
        self.metrics = build_registry(
            self.stats,
            NodeGauges(
                rooms=lambda: len(self.rooms),
                participants=lambda: len(self.by_user),
                capacity=lambda: settings.capacity,
                inbound_lost=lambda: sum(s.inbound.lost for s in self.by_user.values()),
                inbound_expected=lambda: sum(s.inbound.expected for s in self.by_user.values()),
                outbox_depth=lambda: sum(len(s.outbox) for s in self.by_user.values()),
                draining=lambda: self.draining,
            ),
        )

    # ------------------------------------------------------------ lifecycle
    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024, middlewares=[errors_middleware])
        app.router.add_get("/rtc", self._rtc)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_patch("/rooms/{channel_id}/members/{user_id}", self._patch_member)
        app.router.add_delete("/rooms/{channel_id}/members/{user_id}", self._delete_member)
        return app

    async def start(self) -> None:
        """Listen, start heartbeating and settling speaking state."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.http_url = f"http://{_url_host(self._reachable_host())}:{port}"
        self.endpoint = (
            self.settings.public_endpoint or f"ws://{_url_host(self._public_host())}:{port}/rtc"
        )
        self._tick_task = asyncio.create_task(self._tick(), name="speaking-tick")
        if self.heartbeat is not None:
            await self.heartbeat.beat()
            self.heartbeat.start()
        if self.settings.ready_file is not None:
            if self.heartbeat is not None:
                # Ready means a client can be sent here: the record is in the registry (a
                # failed first beat is retried by the heartbeat; whoever waits has a timeout).
                await self.heartbeat.registered()
            # Written whole and then renamed: a reader never sees a half-written file.
            ready = self.settings.ready_file
            partial = ready.with_name(ready.name + ".tmp")
            partial.write_text(
                json.dumps(
                    {
                        "node_id": self.node_id,
                        "endpoint": self.endpoint,
                        "http_url": self.http_url,
                        "metrics_url": f"{self.http_url}/metrics",
                    }
                )
            )
            partial.replace(ready)
        log.info("media node %s listening on %s", self.node_id, self.endpoint)

    async def stop(self) -> None:
        """Close every session and stop listening (no drain: see :meth:`drain`)."""
        for session in list(self.by_user.values()):
            await self._remove(session, CLOSE_DRAINED, "node stopping")
        if self._tick_task is not None:
            self._tick_task.cancel()
            await asyncio.gather(self._tick_task, return_exceptions=True)
        if self.heartbeat is not None and not self.draining:
            await self.heartbeat.stop_and_leave(self.node_id)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def drain(self) -> None:
        """Leave the registry, tell clients to move, run the drain hooks, wait, then stop."""
        if self.draining:
            return
        self.draining = True
        log.info("media node %s draining (%d participants)", self.node_id, len(self.by_user))
        if self.heartbeat is not None:
            await self.heartbeat.stop_and_leave(self.node_id)
        snapshot = [
            RoomSnapshot(room.guild_id, room.channel_id, tuple(room.participants))
            for room in self.rooms.values()
        ]
        # Told before the hooks run: a hook may already hand clients their next node.
        await asyncio.gather(*(s.send({"op": "moving"}) for s in list(self.by_user.values())))
        for hook in self.drain_hooks:
            try:
                await hook(snapshot)
            except Exception:
                log.exception("a drain hook failed")
        if self.by_user:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._emptied.wait(), self.settings.drain_grace_s)
        await self.stop()

    def _reachable_host(self) -> str:
        """The bound address, or loopback where the node listens on every address."""
        host = self.settings.host
        return "127.0.0.1" if ipaddress.ip_address(host).is_unspecified else host

    def _public_host(self) -> str:
        """The address clients are told: the public one, else the bound one."""
        return self.settings.public_ip or self._reachable_host()

    def describe(self, now: float, expires_at: float) -> NodeRecord:
        """This node's registry record (the heartbeat's payload)."""
        return NodeRecord(
            node_id=self.node_id,
            endpoint=self.endpoint
            or f"ws://{_url_host(self._public_host())}:{self.settings.port}/rtc",
            region=self.settings.region,
            capacity=self.settings.capacity,
            load=len(self.by_user),
            heartbeat_at=now,
            expires_at=expires_at,
            draining=self.draining,
        )

    # ------------------------------------------------------------ forwarding (hot path)
    def forward(self, source: Session, packet: RtpPacket) -> None:
        """One inbound packet: count it, read its level, queue it to everyone who hears it."""
        stats = self.stats
        stats.packets_in += 1
        stats.bytes_in += len(packet.payload)
        if packet.payload_type != source.inbound_pt:
            stats.dropped_foreign += 1
            return
        source.inbound.add(packet.sequence_number)
        room = self.rooms.get(source.channel_id)
        if room is None or source.closed:
            return
        level = packet.extensions.audio_level
        if level is not None:
            events = room.audio_level(source.user_id, level[1], time.monotonic())
            if events:
                self._apply(room, events)
        receivers = room.receivers_of(source.user_id)
        if not receivers:
            return
        arrived = time.perf_counter()
        members = self.members[room.channel_id]
        user_id = source.user_id
        for receiver_id in receivers:
            target = members.get(receiver_id)
            if target is not None:
                route = target.routes.get(user_id)
                if route is not None:
                    target.outbox.push(route, packet, arrived)

    # ------------------------------------------------------------ room events
    def _apply(self, room: Room, events: list[RoomEvent]) -> None:
        members = self.members.get(room.channel_id, {})
        for event in events:
            if isinstance(event, SpeakingChanged):
                message = {"op": "speaking", "user_id": event.user_id, "speaking": event.speaking}
                for member in members.values():
                    member.notify(message)
                for hook in self.speaking_hooks:
                    self._spawn(hook(room.guild_id, room.channel_id, event.user_id, event.speaking))
            elif isinstance(event, TracksChanged):
                session = members.get(event.user_id)
                if session is not None and session.sync_slots(event.sources):
                    self._spawn(session.renegotiate())

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background task failed: %r", task.exception())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            for room in list(self.rooms.values()):
                events = room.tick(now)
                if events:
                    self._apply(room, events)

    # ------------------------------------------------------------ membership
    async def _admit(self, session: Session) -> None:
        previous = self.by_user.get(session.user_id)
        if previous is not None:
            await self._remove(previous, CLOSE_REPLACED, "joined again elsewhere")
        room = self.rooms.get(session.channel_id)
        if room is None:
            room = Room(session.channel_id, session.grant.guild_id, policy=self.policy)
            self.rooms[session.channel_id] = room
            self.members[session.channel_id] = {}
        self.members[session.channel_id][session.user_id] = session
        self.by_user[session.user_id] = session
        self._emptied.clear()
        self._apply(
            room,
            room.join(
                session.user_id,
                server_mute=session.grant.server_mute,
                server_deaf=session.grant.server_deaf,
            ),
        )

    async def _remove(self, session: Session, code: int, reason: str) -> None:
        if self.by_user.get(session.user_id) is session:
            del self.by_user[session.user_id]
            if not self.by_user:
                self._emptied.set()
        members = self.members.get(session.channel_id, {})
        if members.get(session.user_id) is session:
            del members[session.user_id]
            room = self.rooms[session.channel_id]
            self._apply(room, room.leave(session.user_id))
            if not members:
                del self.rooms[session.channel_id]
                del self.members[session.channel_id]
        self.stats.lost_closed += session.inbound.lost
        await session.close(code, reason)

    # ------------------------------------------------------------ HTTP handlers
    async def _rtc(self, request: web.Request) -> web.StreamResponse:
        grant = self.verifier.verify(request.query.get("token", ""))
        if self.draining:
            raise Unavailable("This node is draining; ask the gateway for another.")
        if len(self.by_user) >= self.settings.capacity and grant.user_id not in self.by_user:
            raise Unavailable("This node is full.", code="node_full")
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=self.settings.max_signal_bytes)
        await ws.prepare(request)
        session = self.session_class(
            grant,
            ws,
            stats=self.stats,
            outbox_packets=self.settings.outbox_packets,
            on_packet=self.forward,
        )
        try:
            await self._converse(session)
        finally:
            await self._remove(session, 1000, "")
        return ws

    async def _converse(self, session: Session) -> None:
        while True:
            # A client that never offers must not hold its socket (and its token's seat) forever.
            limit = None if session.joined else self.settings.offer_timeout_s
            try:
                async with asyncio.timeout(limit):
                    message = await session.ws.receive()
            except TimeoutError:
                await session.ws.close(code=CLOSE_PROTOCOL, message=b"offer_timeout")
                return
            if message.type != WSMsgType.TEXT:
                break
            try:
                signal = parse_signal(message.data)
                if signal.op == "offer":
                    await session.accept_offer(signal.sdp)
                    await self._admit(session)
                elif not session.joined:
                    raise SignalError("not_joined", "Send your offer first.")
                elif signal.op == "answer":
                    await session.accept_answer(signal.sdp)
                else:
                    room = self.rooms[session.channel_id]
                    self._apply(
                        room,
                        room.set_self(
                            session.user_id, mute=signal.self_mute, deaf=signal.self_deaf
                        ),
                    )
            except SignalError as exc:
                await session.ws.send_json(
                    {"op": "error", "code": exc.code, "message": exc.message}
                )
                if not session.joined:
                    await session.ws.close(code=CLOSE_PROTOCOL, message=exc.code.encode())
                    return

    async def _health(self, request: web.Request) -> web.Response:
        body = {
            "status": "draining" if self.draining else "ok",
            "node_id": self.node_id,
            "participants": len(self.by_user),
            "rooms": len(self.rooms),
        }
        return web.json_response(body, status=503 if self.draining else 200)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=render(self.metrics), headers={"Content-Type": CONTENT_TYPE})

    def _control_auth(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("A control token is required.")
        self.verifier.verify_control(token)

    async def _patch_member(self, request: web.Request) -> web.Response:
        self._control_auth(request)
        flags = _parse_flags(await request.read())
        channel_id, user_id = request.match_info["channel_id"], request.match_info["user_id"]
        room = self.rooms.get(channel_id)
        participant = room.participants.get(user_id) if room is not None else None
        if room is None or participant is None:
            raise NotFound("No such participant in this room.")
        mute = participant.server_mute if flags.server_mute is None else flags.server_mute
        deaf = participant.server_deaf if flags.server_deaf is None else flags.server_deaf
        self._apply(room, room.set_server(user_id, mute=mute, deaf=deaf))
        return web.json_response({"user_id": user_id, "server_mute": mute, "server_deaf": deaf})

    async def _delete_member(self, request: web.Request) -> web.Response:
        self._control_auth(request)
        members = self.members.get(request.match_info["channel_id"], {})
        found = members.get(request.match_info["user_id"])
        if found is None:
            raise NotFound("No such participant in this room.")
        await self._remove(found, CLOSE_DISCONNECTED, "disconnected")
        return web.Response(status=204)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every :class:`ParleyError` becomes the CONTRACT error shape with its status."""
    try:
        return await handler(request)
    except ParleyError as exc:
        return web.json_response(error_body(exc), status=status_for(exc))


def _url_host(address: str) -> str:
    """An address as a URL's host (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def _parse_flags(body: bytes) -> MemberFlags:
    try:
        return MemberFlags.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise Invalid("Expected {server_mute?, server_deaf?} booleans.") from exc
