"""Posting frames to many connections at once, for the fan-out.

The stock boto3 ``post_to_connection`` costs close to a millisecond of CPU per call (request
serialisation, endpoint resolution, retry machinery, a pure-Python signer). A fan-out sends the
same kind of request thousands of times, so this poster signs each one with the AWS Common
Runtime's SigV4 (:mod:`shared.gateway.signing`, the same signature as botocore's) and sends it
with the Common Runtime's HTTP client (``awscrt.http``, AWS's C client behind the CRT SDKs):
the same wire request as boto3's, a fraction of the CPU (``bench/fanout.py`` measures both; an
aiohttp client cost twice as much a POST as this one, decision 21).

A warm Lambda container keeps its poster (:func:`deliver`): its keep-alive connections serve
every later invocation instead of a new TCP connection per connection per batch. A connection
the other end closed meanwhile (the container was frozen) fails its request, which is retried.

How a send runs: up to ``concurrency`` lanes, each taking the next delivery and posting its
frames one after another over one HTTP connection (a connection's frames arrive in order). The
lanes run on the runtime's own event-loop thread, from the completion of each request to the
next; the calling thread waits. A POST that is throttled, fails with a server error or loses its
connection stops its delivery for the pass; tenacity runs another pass over those deliveries
after a back-off, from the frame that failed, twice at most. A 410 ends that delivery only.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Literal
from urllib.parse import quote, urlsplit

import botocore.session
from awscrt import http, io
from awscrt.exceptions import AwsCrtError
from tenacity import (
    Retrying,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from shared.config import get_settings
from shared.gateway.signing import ConnectionsSigner, host_header
from shared.observability import logger

__all__ = ["Delivery", "PostResult", "Poster", "deliver", "endpoint"]


_RETRYABLE = frozenset({429, 500, 502, 503, 504})
#: Passes per send, and the pause before the second (tenacity backs off from there).
_ATTEMPTS = 3
_FIRST_PAUSE_S = 0.05
#: A kept connection idle longer than this is closed rather than reused.
_IDLE_S = 30.0
_CONNECT_TIMEOUT_MS = 3000


def endpoint(domain_name: str, stage: str) -> str:
    """The @connections endpoint of an API's domain and stage (a WebSocket event's
    ``domainName`` and ``stage``): https, on AWS as in the emulator."""
    return f"https://{domain_name}/{stage}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """Frames for one connection, to be sent in order."""

    connection_id: str
    endpoint: str  # scheme://domain/stage
    frames: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class PostResult:
    connection_id: str
    sent: int
    gone: bool
    failed: bool


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str  # as the Host header carries it
    hostname: str
    port: int


def _origin(endpoint: str) -> tuple[_Origin, str]:
    """The origin of ``scheme://domain/stage``, and the stage's path."""
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    origin = _Origin(parts.scheme, host_header(parts), (parts.hostname or "").lower(), port)
    return origin, parts.path.rstrip("/")


@dataclass(slots=True)
class _Kept:
    connection: http.HttpClientConnection
    idle_since: float


#: How a delivery's last POST of a pass ended: None while it is still being sent (or done).
_Stop = Literal["gone", "refused", "retry"] | None


class _Pass:
    """One pass of a send over some deliveries, by lanes that run on the runtime's event-loop
    thread (each from one request's completion to its next request)."""

    def __init__(
        self, poster: Poster, requests: dict[int, list[http.HttpRequest]], origins: list[_Origin]
    ) -> None:
        self._poster = poster
        self._requests = requests
        self._origins = origins
        self._queue = deque(requests)
        self._lanes = min(poster.concurrency, len(requests))
        self._lock = threading.Lock()
        self._busy: set[http.HttpClientConnection] = set()
        self.sent = dict.fromkeys(requests, 0)
        self.stops: dict[int, _Stop] = dict.fromkeys(requests)
        self.finished = threading.Event()
        self.expired = False

    def run(self, deadline_s: float) -> None:
        """Send, and return when every lane is done or the deadline has passed."""
        if not self._lanes:
            return
        for _ in range(self._lanes):
            self._next()
        if not self.finished.wait(deadline_s):
            logger.warning("posting ran out of time", extra={"deliveries": len(self._requests)})
            self._expire()
            self.finished.wait(5)

    def _expire(self) -> None:
        """Out of time: stop taking deliveries and close the connections still in use (their
        requests then fail, and their deliveries with them)."""
        self.expired = True
        with self._lock:
            busy = list(self._busy)
        for connection in busy:
            connection.close()

    def _next(self) -> None:
        """This lane's next delivery, or the lane's end."""
        while True:
            try:
                index = self._queue.popleft()
            except IndexError:
                with self._lock:
                    self._lanes -= 1
                    if self._lanes == 0:
                        self.finished.set()
                return
            if not self.expired:
                break
            self.stops[index] = "refused"
        kept = self._poster.idle(self._origins[index])
        if kept is not None:
            self._post(index, kept)
            return
        opening = self._poster.connect(self._origins[index])
        opening.add_done_callback(partial(self._opened, index))

    def _opened(self, index: int, opening: Future[http.HttpClientConnection]) -> None:
        error = opening.exception()
        if error is not None:
            logger.warning("connecting for @connections failed", extra={"error": str(error)})
            self.stops[index] = "retry"
            self._next()
            return
        self._post(index, opening.result())

    def _post(self, index: int, connection: http.HttpClientConnection) -> None:
        """The delivery's next frame on this connection, or the delivery's end."""
        requests = self._requests[index]
        if self.sent[index] == len(requests):
            self._release(index, connection)
            return
        if self.expired:
            self.stops[index] = "refused"
            self._release(index, connection)
            return
        with self._lock:
            self._busy.add(connection)
        try:
            stream = connection.request(requests[self.sent[index]])
            stream.completion_future.add_done_callback(partial(self._posted, index, connection))
            stream.activate()
        except (AwsCrtError, RuntimeError):  # the connection closed before the request went out
            self._lost(index, connection)

    def _posted(
        self, index: int, connection: http.HttpClientConnection, answered: Future[int]
    ) -> None:
        if answered.exception() is not None:
            self._lost(index, connection)
            return
        status = answered.result()
        if status < 300:
            self.sent[index] += 1
            self._post(index, connection)
            return
        if status == 410:
            self.stops[index] = "gone"
        elif status in _RETRYABLE:
            self.stops[index] = "retry"
        else:
            logger.warning("post refused", extra={"status": status})
            self.stops[index] = "refused"
        self._release(index, connection)

    def _lost(self, index: int, connection: http.HttpClientConnection) -> None:
        self.stops[index] = "refused" if self.expired else "retry"
        with self._lock:
            self._busy.discard(connection)
        connection.close()
        self._next()

    def _release(self, index: int, connection: http.HttpClientConnection) -> None:
        with self._lock:
            self._busy.discard(connection)
        self._poster.keep(self._origins[index], connection)
        self._next()


class Poster:
    """Signs and sends @connections POSTs concurrently (bounded), in order per connection.

    It keeps its HTTP connections (idle ones, per origin) until :meth:`close`. :meth:`send`
    blocks its caller, ``deadline_s`` at most (retries included): then it closes the
    connections it is still waiting on, and what they carried fails. One send at a time.
    ``https`` endpoints are verified against ``trust_store`` (a CA file), else against the CAs
    botocore is told to trust (``AWS_CA_BUNDLE``: the emulator gives its functions its local
    CA that way), else against the system's store.
    """

    def __init__(
        self,
        region: str,
        concurrency: int,
        *,
        deadline_s: float = 25.0,
        trust_store: str | None = None,
    ) -> None:
        session = botocore.session.get_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign @connections requests with")
        self._credentials = credentials  # refreshable: frozen afresh for each pass
        self._region = region
        self.concurrency = concurrency
        self._deadline_s = deadline_s
        self._loops = io.EventLoopGroup(1)
        self._bootstrap = io.ClientBootstrap(self._loops, io.DefaultHostResolver(self._loops))
        self._socket = io.SocketOptions()
        self._socket.connect_timeout_ms = _CONNECT_TIMEOUT_MS
        # The CAs boto3 trusts (AWS_CA_BUNDLE, a profile's ca_bundle: the emulator's local CA);
        # without one, the system's store, as on Lambda.
        self._trust_store = trust_store or session.get_config_variable("ca_bundle")
        self._tls: io.ClientTlsContext | None = None
        self._idle: dict[_Origin, deque[_Kept]] = defaultdict(deque)

    # -- connections ----------------------------------------------------------------------
    def connect(self, origin: _Origin) -> Future[http.HttpClientConnection]:
        tls = None
        if origin.scheme == "https":
            if self._tls is None:
                options = io.TlsContextOptions()
                if self._trust_store is not None:
                    options.override_default_trust_store_from_path(ca_filepath=self._trust_store)
                self._tls = io.ClientTlsContext(options)
            tls = self._tls.new_connection_options()
            tls.set_server_name(origin.hostname)
        return http.HttpClientConnection.new(
            origin.hostname,
            origin.port,
            bootstrap=self._bootstrap,
            socket_options=self._socket,
            tls_connection_options=tls,
        )

    def idle(self, origin: _Origin) -> http.HttpClientConnection | None:
        """A kept connection to ``origin`` that is still open and fresh, if there is one."""
        kept = self._idle[origin]
        while True:
            try:
                candidate = kept.pop()  # the most recently used: the fewest go stale
            except IndexError:
                return None
            if candidate.connection.is_open() and time.monotonic() - candidate.idle_since < _IDLE_S:
                return candidate.connection
            candidate.connection.close()

    def keep(self, origin: _Origin, connection: http.HttpClientConnection) -> None:
        if connection.is_open():
            self._idle[origin].append(_Kept(connection, time.monotonic()))
        else:
            connection.close()

    def close(self) -> None:
        """Close every kept connection."""
        closing = []
        for kept in self._idle.values():
            while kept:
                closing.append(kept.pop().connection.close())
        for shutdown in closing:
            shutdown.result(timeout=5)

    # -- sending --------------------------------------------------------------------------
    def send(self, deliveries: Sequence[Delivery]) -> list[PostResult]:
        """Send every delivery; connections concurrently, each one's frames in order."""
        sent = [0] * len(deliveries)
        stops: list[_Stop] = [None] * len(deliveries)
        parsed = {endpoint: _origin(endpoint) for endpoint in {d.endpoint for d in deliveries}}
        origins = [parsed[d.endpoint][0] for d in deliveries]
        paths = [
            f"{parsed[d.endpoint][1]}/@connections/{quote(d.connection_id, safe='')}"
            for d in deliveries
        ]

        def one_pass(indices: list[int]) -> list[int]:
            """Post what is left of these deliveries; those to try again."""
            signer = ConnectionsSigner(self._credentials.get_frozen_credentials(), self._region)
            run = _Pass(
                self,
                {
                    i: [
                        signer.request(origins[i].host, paths[i], frame)
                        for frame in deliveries[i].frames[sent[i] :]
                    ]
                    for i in indices
                },
                origins,
            )
            run.run(max(0.0, began + self._deadline_s - time.monotonic()))
            for i in indices:
                sent[i] += run.sent[i]
                stops[i] = run.stops[i]
                if stops[i] is None and sent[i] < len(deliveries[i].frames):
                    stops[i] = "refused"  # still unanswered (or connecting) at the deadline
            return [i for i in indices if stops[i] == "retry"]

        began = time.monotonic()
        Retrying(
            retry=retry_if_result(bool),
            stop=stop_after_attempt(_ATTEMPTS) | stop_after_delay(self._deadline_s),
            wait=wait_exponential(multiplier=_FIRST_PAUSE_S, min=_FIRST_PAUSE_S, max=1.0),
            retry_error_callback=lambda _state: [],
        )(one_pass, list(range(len(deliveries))))
        results = []
        for delivery, count, stop in zip(deliveries, sent, stops, strict=True):
            failed = stop in ("retry", "refused")
            if failed:
                logger.warning("post failed", extra={"connection_id": delivery.connection_id})
            results.append(PostResult(delivery.connection_id, count, stop == "gone", failed))
        return results


class _Container:
    """The container's poster, made on first use and closed at exit."""

    poster: Poster | None = None


def deliver(deliveries: Sequence[Delivery]) -> list[PostResult]:
    """Send from a Lambda handler through the container's kept poster (the settings' region
    and fan-out concurrency)."""
    if not deliveries:
        return []
    if _Container.poster is None:
        settings = get_settings()
        _Container.poster = Poster(settings.aws_region, settings.fanout_concurrency)
        atexit.register(_close_kept)
    return _Container.poster.send(deliveries)


def _close_kept() -> None:
    if _Container.poster is not None:
        _Container.poster.close()
    _Container.poster = None
