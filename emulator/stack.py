"""The whole local stack in one object: store, tables, functions, gateways, stream pump."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.artifacts import ArtifactBuilder, FunctionCode, find_uv
from emulator.config import REPO_ROOT, DevSettings
from emulator.http_api import HttpApi
from emulator.media import LocalMediaNode
from emulator.reload import watch_code
from emulator.runtime import Runtimes
from emulator.schedules import Scheduler
from emulator.store import (
    EmbeddedStore,
    StoreError,
    deployed_names,
    ensure_buckets,
    ensure_tables,
)
from emulator.store_credentials import CREDENTIALS_FILE, local_store_credentials
from emulator.streams import StreamPump
from emulator.template import Template, load_template
from emulator.tls import local_tls
from emulator.websocket_api import Limits, WebSocketGateway

__all__ = ["PUBLIC_URL_PARAMETER", "PortInUse", "Stack", "StackInfo"]

log = logging.getLogger("parley.stack")

#: The template parameter the emulator fills with the URL it serves the HTTP API on (so that,
#: say, a JWT authorizer's issuer can name the stack itself; see docs/auth.md).
PUBLIC_URL_PARAMETER = "ApiBaseUrl"


class PortInUse(Exception):
    def __init__(self, what: str, host: str, port: int, flag: str) -> None:
        super().__init__(
            f"port {port} ({what}) on {host} is already in use: stop what holds it, "
            f"or choose another with {flag}"
        )


def _bind(what: str, host: str, port: int, flag: str) -> socket.socket:
    """A listening socket taken before anything else starts, so its port is known early."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(what, host, port, flag) from exc
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _public_host(host: str) -> str:
    """The address clients use: loopback when listening on every interface."""
    try:
        return "127.0.0.1" if ipaddress.ip_address(host).is_unspecified else host
    except ValueError:
        return host


def _check_free(what: str, host: str, port: int, flag: str) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(what, host, port, flag) from exc
            raise


@dataclass
class StackInfo:
    http_url: str
    ws_url: str
    #: https://<domainName>/<stage>/@connections, as on AWS (also served on ws_url over http).
    connections_url: str
    store_url: str
    stage: str
    embedded_store: bool
    #: The CA bundle that trusts connections_url's certificate (the workers are given it).
    ca_bundle: str
    #: The embedded store's credentials file (JSON: aws_access_key_id, aws_secret_access_key);
    #: "" with AWS_ENDPOINT_URL.
    store_credentials: str = ""
    #: The local media node's ready info (node_id, endpoint, http_url, pid); {} without one.
    media_node: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Stack:
    """Start with :meth:`start`, stop with :meth:`stop`; every port and child goes with it."""

    def __init__(self, settings: DevSettings, progress: Callable[[str], None] = log.info) -> None:
        self.settings = settings
        self.progress = progress
        self.template: Template | None = None
        self.store: EmbeddedStore | None = None
        self.builder: ArtifactBuilder | None = None
        self.runtimes: Runtimes | None = None
        self.http: HttpApi | None = None
        self.gateway: WebSocketGateway | None = None
        self.pump: StreamPump | None = None
        self.scheduler: Scheduler | None = None
        self.media: LocalMediaNode | None = None
        self._media_task: asyncio.Task[dict[str, Any]] | None = None
        self._building: asyncio.Task[dict[str, FunctionCode]] | None = None
        self._runners: list[web.AppRunner] = []
        self._http_socket: socket.socket | None = None
        self._ws_socket: socket.socket | None = None
        self._tls_socket: socket.socket | None = None
        self._stop_reload = asyncio.Event()
        self._reload_task: asyncio.Task[None] | None = None
        self.info: StackInfo | None = None
        self.started_at = 0.0

    async def start(self) -> StackInfo:
        s = self.settings
        self.started_at = time.monotonic()
        self._http_socket = _bind("HTTP API", s.host, s.http_port, "--http-port")
        http_port = int(self._http_socket.getsockname()[1])
        public_url = f"http://{_public_host(s.host)}:{http_port}"
        self.template = template = load_template(
            s.template,
            stack_name=s.stack_name,
            region=s.region,
            parameters={**s.parameter_overrides, PUBLIC_URL_PARAMETER: public_url},
            deployed=await self._deployed_names(),
        )
        if template.websocket is None:
            raise ValueError(f"{s.template.name} declares no WebSocket API")
        # The functions' artifacts and layers build while the store starts.
        self.builder = ArtifactBuilder(
            template.functions,
            s.build_dir,
            lock_file=REPO_ROOT / "uv.lock",
            uv=find_uv(REPO_ROOT),
            progress=self.progress,
        )
        self._building = asyncio.create_task(self.builder.prepare())
        # Taken now, like the HTTP port, so the functions can be told the gateway's URL.
        self._ws_socket = _bind("WebSocket API", s.host, s.ws_port, "--ws-port")
        ws_port = int(self._ws_socket.getsockname()[1])
        gateway_url = f"ws://{_public_host(s.host)}:{ws_port}/"
        # @connections over TLS, where the events' domainName points (handlers post to
        # https://{domainName}/{stage} as on AWS); its own port, clients keep ws:// above.
        tls_port = s.connections_port
        if tls_port is None:
            tls_port = ws_port + 1 if s.ws_port and ws_port < 65535 else 0
        self._tls_socket = _bind("@connections over TLS", s.host, tls_port, "--connections-port")
        domain_name = f"{_public_host(s.host)}:{int(self._tls_socket.getsockname()[1])}"
        tls = await asyncio.to_thread(
            local_tls, s.data_dir, [s.host, _public_host(s.host)], os.environ
        )
        endpoint = s.aws_endpoint_url
        if endpoint is None:
            _check_free("embedded store", s.store_host, s.store_port, "--store-port")
            self.progress(
                f"starting the embedded store (moto server) on {s.store_host}:{s.store_port} …"
            )
            # The store answers requests signed with the data folder's own key pair only:
            # this process, the functions and the media node all sign with it.
            credentials = local_store_credentials(s.data_dir)
            os.environ.update(credentials.env())
            self.store = EmbeddedStore(s.store_host, s.store_port, credentials)
            await self.store.start()
            endpoint = self.store.endpoint_url
        else:
            self.progress(f"using the AWS services at {endpoint} (AWS_ENDPOINT_URL)")
        created = await asyncio.to_thread(
            ensure_tables, endpoint, s.region, list(template.tables.values())
        )
        if created:
            self.progress(f"created table(s): {', '.join(created)}")
        made = await asyncio.to_thread(
            ensure_buckets, endpoint, s.region, list(template.buckets.values())
        )
        if made:
            self.progress(f"created bucket(s): {', '.join(made)}")

        base_env = dict(os.environ)
        base_env.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_REGION": s.region,
                "AWS_DEFAULT_REGION": s.region,
                "POWERTOOLS_TRACE_DISABLED": "true",
                # On: the workers print EMF lines, summed for the exit summary (emulator.metrics).
                "POWERTOOLS_METRICS_DISABLED": "false",
                "PARLEY_DATA_DIR": str(s.data_dir),
            }
        )
        # The workers trust the local CA (and what this process trusts) through their env alone.
        base_env.update(tls.trust_env())
        base_env.setdefault("PARLEY_PUBLIC_URL", public_url)
        base_env.setdefault("AWS_ACCESS_KEY_ID", "test")
        base_env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        # The functions must know the gateway's real limits (tests shorten them).
        # ... and where the gateway is (GET /gateway answers it to clients).
        overrides = {
            "PARLEY_GATEWAY_MAX_CONNECTION_S": str(s.max_connection_s),
            "PARLEY_GATEWAY_URL": gateway_url,
        }
        codes = await self._building
        self.runtimes = Runtimes(
            template.functions,
            codes,
            base_env,
            max_workers=s.max_workers,
            overrides=overrides,
        )
        # The media node starts (imports aiortc) while the functions warm.
        media_started: asyncio.Task[dict[str, Any]] | None = None
        if s.media_node:
            self.progress(f"starting a media node on {s.host}:{s.media_port} …")
            spec = template.tables.get("Table") or next(iter(template.tables.values()), None)
            node_env = dict(base_env)
            if spec is not None:
                node_env["PARLEY_TABLE_NAME"] = spec.name  # as the template tells the functions
            self.media = LocalMediaNode(s.host, s.media_port, s.data_dir, node_env)
            media_started = self._media_task = asyncio.create_task(self.media.start())
        if s.warm:
            self.progress(f"warming {len(template.functions)} functions …")
            await self.runtimes.warm_all()
        # Nothing is served before every part is ready: the node is listening *and* registered
        # (voice joins are granted), so neither "ready" nor a /health 200 comes before it.
        media_info = await media_started if media_started is not None else {}

        self.gateway = WebSocketGateway(
            template.websocket,
            self.runtimes,
            Limits(idle_timeout_s=s.idle_timeout_s, max_connection_s=s.max_connection_s),
        )
        ws_socket, self._ws_socket = self._ws_socket, None
        tls_socket, self._tls_socket = self._tls_socket, None
        ws_port = await self._serve(
            self.gateway.application(),
            s.ws_port,
            "WebSocket API",
            sock=ws_socket,
            tls=(tls_socket, tls.server),
        )
        self.gateway.domain_name = domain_name
        self.http = HttpApi(
            template.http_routes,
            self.runtimes,
            s.ui_dir,
            template.http_stage_variables,
            template.http_authorizers,
        )
        http_socket, self._http_socket = self._http_socket, None
        http_port = await self._serve(
            self.http.application(), s.http_port, "HTTP API", sock=http_socket
        )
        self.http.domain_name = f"{s.host}:{http_port}"

        self.pump = StreamPump(
            template.stream_mappings,
            template.tables,
            self.runtimes,
            endpoint_url=endpoint,
            region=s.region,
            poll_interval_s=s.stream_poll_s,
        )
        await self.pump.start()
        self.scheduler = Scheduler(
            template.schedules, self.runtimes, s.region, s.schedule_interval_s
        )
        self.scheduler.start()
        if s.reload:
            self._reload_task = asyncio.create_task(
                watch_code(
                    {f.code_dir for f in template.functions.values()},
                    self.builder,
                    self.runtimes,
                    self._stop_reload,
                )
            )
        stage = template.websocket.stage
        self.info = StackInfo(
            http_url=f"http://{s.host}:{http_port}",
            ws_url=f"ws://{s.host}:{ws_port}/",
            connections_url=f"https://{domain_name}/{stage}/@connections",
            store_url=endpoint,
            stage=stage,
            embedded_store=self.store is not None,
            store_credentials=(
                str(s.data_dir / CREDENTIALS_FILE) if self.store is not None else ""
            ),
            ca_bundle=str(tls.ca_bundle),
            media_node=media_info,
        )
        if s.ready_file:
            # Written whole, then renamed: a poller never reads half a file.
            partial = s.ready_file.with_suffix(".partial")
            partial.write_text(json.dumps(self.info.as_dict()))
            os.replace(partial, s.ready_file)
        return self.info

    async def _deployed_names(self) -> dict[str, str]:
        """With ``AWS_ENDPOINT_URL``: the data resources of the CloudFormation stack named
        ``--stack-name`` there, if one was deployed from the template (else local names)."""
        s = self.settings
        if s.aws_endpoint_url is None:
            return {}
        try:
            names = await asyncio.to_thread(
                deployed_names, s.aws_endpoint_url, s.region, s.stack_name
            )
        except StoreError as exc:
            self.progress(f"no CloudFormation at {s.aws_endpoint_url} ({exc}); using local names")
            return {}
        if names:
            listed = ", ".join(f"{k}={v}" for k, v in sorted(names.items()))
            self.progress(f"using CloudFormation stack {s.stack_name}'s resources: {listed}")
        return names

    async def _serve(
        self,
        app: web.Application,
        port: int,
        what: str,
        sock: socket.socket | None = None,
        tls: tuple[socket.socket, ssl.SSLContext] | None = None,
    ) -> int:
        """Serve ``app``; also over TLS on ``tls``'s socket when given."""
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5)
        await runner.setup()
        self._runners.append(runner)
        site: web.BaseSite = (
            web.SockSite(runner, sock)
            if sock is not None
            else web.TCPSite(runner, self.settings.host, port, reuse_address=True)
        )
        try:
            await site.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                flag = "--http-port" if what == "HTTP API" else "--ws-port"
                raise PortInUse(what, self.settings.host, port, flag) from exc
            raise
        served = int(runner.addresses[0][1])  # (host, port) of the socket the site bound
        if tls is not None:
            await web.SockSite(runner, tls[0], ssl_context=tls[1]).start()
        return served

    async def stop(self) -> None:
        """Close every port and child process; safe to call after a failed start."""
        self._stop_reload.set()
        if self._http_socket is not None:
            self._http_socket.close()
            self._http_socket = None
        for held in (self._ws_socket, self._tls_socket):
            if held is not None:
                held.close()
        self._ws_socket = self._tls_socket = None
        if self._reload_task is not None:
            with contextlib.suppress(Exception):
                await self._reload_task
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self._media_task is not None and not self._media_task.done():
            self._media_task.cancel()
            with contextlib.suppress(BaseException):
                await self._media_task
        if self.media is not None:
            await self.media.stop()
        if self.pump is not None:
            await self.pump.stop()
        for runner in reversed(self._runners):
            with contextlib.suppress(Exception):
                await runner.cleanup()
        self._runners.clear()
        if self.runtimes is not None:
            await self.runtimes.close()
        if self._building is not None:
            self._building.cancel()  # a no-op once done; its error, if any, is read here
            with contextlib.suppress(BaseException):
                await self._building
        if self.builder is not None:
            self.builder.close()
        if self.store is not None:
            await self.store.stop()
        if self.settings.ready_file:
            with contextlib.suppress(FileNotFoundError):
                self.settings.ready_file.unlink()

    def summary(self) -> str:
        """What the stack did while it ran: printed on exit."""
        uptime = time.monotonic() - self.started_at
        lines = [f"uptime {uptime:.0f} s"]
        if self.http is not None:
            lines.append(f"HTTP requests {self.http.requests} ({self.http.errors} errors)")
        if self.gateway is not None:
            lines.append(
                f"gateway messages in {self.gateway.messages_in}, out {self.gateway.messages_out}"
            )
        if self.pump is not None:
            st = self.pump.stats
            lines.append(
                f"stream batches {st.batches} ({st.records} records, {st.retries} retries, "
                f"{st.to_destination} to failure queues, {st.dropped} dropped)"
            )
        if self.runtimes is not None:
            calls = sum(rt.invocations for rt in self.runtimes)
            errors = sum(rt.errors for rt in self.runtimes)
            lines.append(f"function invocations {calls} ({errors} errors)")
            lines.append(f"metrics {self.runtimes.tally.summary(uptime)}")
        return "; ".join(lines)
