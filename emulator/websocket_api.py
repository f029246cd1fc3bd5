"""API Gateway's WebSocket API, locally: connections, route selection, @connections, limits.

A client connects to ``/`` (or ``/<stage>``); ``$connect`` (after the REQUEST authorizer, when
the template declares one) decides whether the handshake succeeds. Each data message is routed by
the API's route selection expression and handed to its function as a MESSAGE event (a message no
route takes, without ``$default``, is answered "Forbidden"); replies go back only through the
management API, ``/<stage>/@connections/{id}``, which this application answers with AWS's status
codes (410 GoneException for a closed connection). The stack serves it on the WebSocket port and
over TLS on the port the events' ``domainName`` names (``emulator/tls.py``), where handlers
written for AWS post: ``https://{domainName}/{stage}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from emulator.events import (
    WsFacts,
    aws_request_id,
    ws_authorizer_event,
    ws_connect_event,
    ws_disconnect_event,
    ws_message_event,
)
from emulator.frames import GuardedParser, guard_connection
from emulator.runtime import FunctionError, Runtimes
from emulator.template import WebSocketApiSpec, body_path

__all__ = ["Limits", "WebSocketGateway"]

log = logging.getLogger("parley.websocket")

KIB = 1024


@dataclass(frozen=True)
class Limits:
    """API Gateway's WebSocket quotas; the durations shorten for tests."""

    max_message_bytes: int = 128 * KIB
    max_frame_bytes: int = 32 * KIB
    #: A connection closed for an oversized frame is closed once the client has sent nothing
    #: for ``close_quiet_s`` (the rest of its message), or after ``close_linger_s`` at most.
    close_quiet_s: float = 0.05
    close_linger_s: float = 2.0
    idle_timeout_s: float = 600.0
    max_connection_s: float = 7200.0


@dataclass
class Connection:
    facts: WsFacts
    ws: web.WebSocketResponse
    headers: list[tuple[str, str]]
    connected_monotonic: float
    last_active_ms: int
    last_active_monotonic: float
    close_reason: tuple[int, str] | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    guard: GuardedParser | None = None


def _connection_id() -> str:
    """An id shaped like API Gateway's connection ids (``FDmBIeapIAMCIQg=``)."""
    return secrets.token_urlsafe(11)[:15] + "="


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _gone(connection_id: str) -> web.Response:
    return web.json_response(
        {"message": f"Connection {connection_id} is gone."},
        status=410,
        headers={"x-amzn-ErrorType": "GoneException"},
    )


def select_route(expression: str, data: str | bytes, routes: dict[str, str]) -> str | None:
    """The route key the selection expression picks for a message: the value at the
    expression's ``$request.body.<path>`` when it names a route, else ``$default``; None when
    there is no ``$default`` route either (API Gateway then answers "Forbidden")."""
    fallback = "$default" if "$default" in routes else None
    field_path = body_path(expression)
    try:
        value: Any = json.loads(data)
    except (ValueError, RecursionError):
        return fallback
    for part in field_path or ():
        value = value.get(part) if isinstance(value, dict) else None
    if field_path is None or value is None or isinstance(value, dict | list):
        return fallback
    key = json.dumps(value) if isinstance(value, bool) else str(value)
    # Messages reach custom routes or $default only, never $connect / $disconnect.
    return key if key in routes and not key.startswith("$") else fallback


class WebSocketGateway:
    """The WebSocket API of one template, served on one aiohttp application."""

    def __init__(self, spec: WebSocketApiSpec, runtimes: Runtimes, limits: Limits) -> None:
        self.spec = spec
        self.runtimes = runtimes
        self.limits = limits
        self.domain_name = "127.0.0.1"  # set to host:port once bound
        self.api_id = secrets.token_hex(5)
        self.connections: dict[str, Connection] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.messages_in = 0
        self.messages_out = 0

    def application(self) -> web.Application:
        app = web.Application(client_max_size=self.limits.max_message_bytes + KIB)
        stage = self.spec.stage
        app.router.add_get("/", self._handshake)
        app.router.add_get(f"/{stage}", self._handshake)
        app.router.add_post(f"/{stage}/@connections/{{connection_id}}", self._post)
        app.router.add_get(f"/{stage}/@connections/{{connection_id}}", self._get)
        app.router.add_delete(f"/{stage}/@connections/{{connection_id}}", self._delete)
        app.on_shutdown.append(self._on_shutdown)
        return app

    # ------------------------------------------------------------------ handshake
    async def _authorize(
        self, facts: WsFacts, headers: list[tuple[str, str]], query: list[tuple[str, str]]
    ) -> dict[str, Any] | web.Response:
        """Run the REQUEST authorizer: its context, or the response that refuses the handshake."""
        function_id = self.spec.authorizer_function_id
        assert function_id is not None
        present = {name.lower() for name, _ in headers} | {f"q:{n}" for n, _ in query}
        for source in self.spec.identity_sources:
            wanted = (
                f"q:{source.removeprefix('route.request.querystring.')}"
                if source.startswith("route.request.querystring.")
                else source.removeprefix("route.request.header.").lower()
            )
            if wanted not in present:
                return web.json_response({"message": "Unauthorized"}, status=401)
        try:
            result = (
                await self.runtimes.invoke(function_id, ws_authorizer_event(facts, headers, query))
            ).result
        except FunctionError as exc:
            if "Unauthorized" in str(exc):
                return web.json_response({"message": "Unauthorized"}, status=401)
            log.warning("authorizer failed: %s", exc)
            return web.json_response({"message": "Internal Server Error"}, status=500)
        statements = ((result or {}).get("policyDocument") or {}).get("Statement") or []
        if not statements or any(s.get("Effect") != "Allow" for s in statements):
            return web.json_response({"message": "Forbidden"}, status=403)
        context = dict(result.get("context") or {})
        context["principalId"] = result.get("principalId")
        return context

    async def _handshake(self, request: web.Request) -> web.StreamResponse:
        # aiohttp refuses a message of exactly max_msg_size; API Gateway accepts 128 KiB itself.
        ws = web.WebSocketResponse(
            max_msg_size=self.limits.max_message_bytes + 1, autoping=True, compress=False
        )
        if not ws.can_prepare(request).ok:
            return web.json_response({"message": "Upgrade Required"}, status=426)
        headers = list(request.headers.items())
        query = list(request.query.items())
        now_ms = int(time.time() * 1000)
        facts = WsFacts(
            connection_id=_connection_id(),
            connected_at_ms=now_ms,
            source_ip=request.remote or "127.0.0.1",
            domain_name=self.domain_name,
            stage=self.spec.stage,
            api_id=self.api_id,
            user_agent=request.headers.get("User-Agent"),
        )
        if self.spec.authorizer_function_id:
            outcome = await self._authorize(facts, headers, query)
            if isinstance(outcome, web.Response):
                return outcome
            facts = WsFacts(**{**facts.__dict__, "authorizer": outcome})
        connect = self.spec.routes.get("$connect")
        try:
            result = (
                None
                if connect is None  # without a $connect route, API Gateway lets everyone in
                else (
                    await self.runtimes.invoke(connect, ws_connect_event(facts, headers, query))
                ).result
            )
        except FunctionError as exc:
            log.warning("$connect failed: %s", exc)
            return web.json_response({"message": "Internal Server Error"}, status=500)
        status = int((result or {}).get("statusCode", 200)) if isinstance(result, dict) else 200
        if not 200 <= status < 300:
            body = (result or {}).get("body") if isinstance(result, dict) else None
            return web.Response(status=status, text=body or "", content_type="application/json")
        await ws.prepare(request)
        connection_ref: list[Connection] = []
        guard = guard_connection(
            request.protocol,
            self.limits.max_frame_bytes,
            lambda: self._frame_too_big(connection_ref[0]),
        )
        connection = Connection(
            facts=facts,
            ws=ws,
            headers=headers,
            connected_monotonic=time.monotonic(),
            last_active_ms=now_ms,
            last_active_monotonic=time.monotonic(),
            guard=guard,
        )
        connection_ref.append(connection)
        self.connections[facts.connection_id] = connection
        try:
            await self._serve(connection)
        finally:
            await self._finish(connection)
        return ws

    # ------------------------------------------------------------------ messages
    def _deadline(self, connection: Connection) -> tuple[float, str]:
        idle_at = connection.last_active_monotonic + self.limits.idle_timeout_s
        cap_at = connection.connected_monotonic + self.limits.max_connection_s
        return (idle_at, "Idle timeout") if idle_at <= cap_at else (cap_at, "Connection max age")

    async def _serve(self, connection: Connection) -> None:
        ws = connection.ws
        while not ws.closed:
            deadline, why = self._deadline(connection)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                connection.close_reason = (WSCloseCode.GOING_AWAY, f"Going away: {why}")
                await ws.close(code=WSCloseCode.GOING_AWAY, message=why.encode())
                return
            try:
                msg = await ws.receive(timeout=remaining)
            except TimeoutError:
                continue
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                connection.last_active_monotonic = time.monotonic()
                connection.last_active_ms = int(time.time() * 1000)
                self.messages_in += 1
                task = asyncio.create_task(self._route(connection, msg.data))
                connection.tasks.add(task)
                task.add_done_callback(connection.tasks.discard)
            elif msg.type == WSMsgType.ERROR:
                # aiohttp has already closed with the protocol error's code (1009 for size).
                code = getattr(msg.data, "code", None) or ws.close_code or 1006
                connection.close_reason = (int(code), str(msg.data or "protocol error"))
                return
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                if connection.close_reason is None:
                    code = ws.close_code or 1005
                    reason = msg.extra if isinstance(msg.extra, str) and msg.extra else ""
                    connection.close_reason = (
                        code,
                        reason or "Client-side close frame status not set",
                    )
                return

    def _frame_too_big(self, connection: Connection) -> None:
        """A frame over 32 KB: API Gateway closes with 1009, as for an oversized message."""
        connection.close_reason = (WSCloseCode.MESSAGE_TOO_BIG, "Frame too big")

        async def close() -> None:
            if connection.guard is not None:
                # Once the rest of the message has stopped arriving (read and dropped): a close
                # with input still coming resets the connection, and the reset can overtake
                # the close frame on its way to the client.
                await connection.guard.quiet(self.limits.close_quiet_s, self.limits.close_linger_s)
            await connection.ws.close(code=WSCloseCode.MESSAGE_TOO_BIG, message=b"Frame too big")

        task = asyncio.create_task(close())
        connection.tasks.add(task)
        task.add_done_callback(connection.tasks.discard)

    async def _route(self, connection: Connection, data: str | bytes) -> None:
        route_key = select_route(self.spec.route_selection_expression, data, self.spec.routes)
        if route_key is None:
            # No route for the message and no $default: API Gateway tells the sender so.
            await self._tell(connection, "Forbidden")
            return
        try:
            await self.runtimes.invoke(
                self.spec.routes[route_key], ws_message_event(connection.facts, route_key, data)
            )
        except FunctionError as exc:
            # AWS answers a failed integration with an error message to the sender.
            log.warning("%s failed: %s", route_key, exc)
            await self._tell(connection, "Internal server error")

    @staticmethod
    async def _tell(connection: Connection, message: str) -> None:
        """An error message to the sender, shaped as API Gateway's."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            if not connection.ws.closed:
                await connection.ws.send_str(
                    json.dumps(
                        {
                            "message": message,
                            "connectionId": connection.facts.connection_id,
                            "requestId": aws_request_id(),
                        }
                    )
                )

    async def _finish(self, connection: Connection) -> None:
        """Forget the connection and tell ``$disconnect``, as API Gateway does (best effort)."""
        connection_id = connection.facts.connection_id
        if self.connections.pop(connection_id, None) is None:
            return
        code, reason = connection.close_reason or (
            connection.ws.close_code or 1006,
            "Connection closed abnormally",
        )
        disconnect = self.spec.routes.get("$disconnect")
        if disconnect is None:
            return
        event = ws_disconnect_event(connection.facts, int(code), reason, connection.headers)
        task = asyncio.create_task(self._disconnect(disconnect, event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _disconnect(self, function_id: str, event: dict[str, Any]) -> None:
        try:
            await self.runtimes.invoke(function_id, event)
        except FunctionError as exc:
            log.warning("$disconnect failed: %s", exc)

    # ------------------------------------------------------------------ @connections
    async def _post(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None or connection.ws.closed:
            return _gone(connection_id)
        data = await request.read()
        if len(data) > self.limits.max_message_bytes:
            return web.json_response(
                {"message": "Message too long"},
                status=413,
                headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
            )
        try:
            try:
                await connection.ws.send_str(data.decode())
            except UnicodeDecodeError:
                await connection.ws.send_bytes(data)
        except (ConnectionError, RuntimeError):
            return _gone(connection_id)
        self.messages_out += 1
        return web.Response(status=200)

    async def _get(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None:
            return _gone(connection_id)
        # The wire names of GetConnection's answer (boto3 shows them capitalised).
        identity = {"sourceIp": connection.facts.source_ip}
        if connection.facts.user_agent:
            identity["userAgent"] = connection.facts.user_agent
        return web.json_response(
            {
                "connectedAt": _iso(connection.facts.connected_at_ms),
                "identity": identity,
                "lastActiveAt": _iso(connection.last_active_ms),
            }
        )

    async def _delete(self, request: web.Request) -> web.Response:
        connection_id = request.match_info["connection_id"]
        connection = self.connections.get(connection_id)
        if connection is None:
            return _gone(connection_id)
        connection.close_reason = (WSCloseCode.OK, "Connection closed by the server")
        await connection.ws.close(code=WSCloseCode.OK, message=b"Closed by the server")
        return web.Response(status=204)

    # ------------------------------------------------------------------ shutdown
    async def _on_shutdown(self, _app: web.Application) -> None:
        for connection in list(self.connections.values()):
            connection.close_reason = (WSCloseCode.GOING_AWAY, "Going away: server shutdown")
            with contextlib.suppress(Exception):
                await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
        await self.drain()

    async def drain(self) -> None:
        """Wait for the ``$disconnect`` invocations still under way."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
