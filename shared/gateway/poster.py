"""Posting frames to many connections at once, for the fan-out.

The stock boto3 ``post_to_connection`` costs close to a millisecond of CPU per call (request
serialisation, endpoint resolution, retry machinery, a pure-Python signer). A fan-out sends the
same kind of request thousands of times, so this poster signs each one with the AWS Common
Runtime's SigV4 (:mod:`shared.gateway.signing`, the same signature as botocore's) and sends it
over one pooled aiohttp session: the same wire request as boto3's, a fraction of the CPU
(``bench/fanout.py`` measures both).

A warm Lambda container keeps its poster: :func:`deliver` runs it on one event loop kept for the
container's life, so its keep-alive connections serve every later invocation instead of a new
TCP connection per connection per batch. A connection the other end closed meanwhile (the
container was frozen) fails its request, which is retried on a fresh one.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import botocore.session
from botocore.credentials import ReadOnlyCredentials
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.config import get_settings
from shared.gateway.signing import ConnectionsSigner
from shared.observability import logger

__all__ = ["Delivery", "PostResult", "Poster", "deliver"]


_RETRYABLE = frozenset({429, 500, 502, 503, 504})
#: Attempts per POST, and the pause before the second (tenacity backs off from there).
_ATTEMPTS = 3
_FIRST_PAUSE_S = 0.05


class _Retryable(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


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


class Poster:
    """Signs and sends @connections POSTs concurrently (bounded), in order per connection.

    Its HTTP session (and so its keep-alive connections) lives until :meth:`close`, on the event
    loop of its first :meth:`send`.
    """

    def __init__(self, region: str, concurrency: int) -> None:
        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign @connections requests with")
        self._credentials = credentials  # refreshable: frozen afresh for each send
        self._region = region
        self._limit = asyncio.Semaphore(concurrency)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=30, connect=3)
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(timeout=timeout, connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _attempt(
        self, session: aiohttp.ClientSession, signer: ConnectionsSigner, url: str, body: bytes
    ) -> int:
        headers = signer.headers(url, body)  # signed afresh each attempt: a new X-Amz-Date
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                status = answer.status
        except aiohttp.ClientError as exc:
            raise _Retryable(599) from exc
        if status in _RETRYABLE:
            raise _Retryable(status)
        return status

    async def _post(
        self, session: aiohttp.ClientSession, signer: ConnectionsSigner, url: str, body: bytes
    ) -> int:
        """One POST, retried with backoff while throttled or failing (never on 410).

        The first attempt goes straight out (nearly every POST succeeds at once); only a failed
        one pays for the retry machinery.
        """
        try:
            return await self._attempt(session, signer, url, body)
        except _Retryable:
            await asyncio.sleep(_FIRST_PAUSE_S)
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(_ATTEMPTS - 1),
            wait=wait_exponential(multiplier=2 * _FIRST_PAUSE_S, max=1.0),
            reraise=True,
        ):
            with attempt:
                return await self._attempt(session, signer, url, body)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _send_all(
        self, session: aiohttp.ClientSession, signer: ConnectionsSigner, delivery: Delivery
    ) -> PostResult:
        url = f"{delivery.endpoint}/@connections/{quote(delivery.connection_id, safe='')}"
        sent = 0
        async with self._limit:
            for body in delivery.frames:
                try:
                    status = await self._post(session, signer, url, body)
                except _Retryable as exc:
                    logger.warning("post failed", extra={"status": exc.status})
                    return PostResult(delivery.connection_id, sent, gone=False, failed=True)
                if status == 410:
                    return PostResult(delivery.connection_id, sent, gone=True, failed=False)
                if status >= 300:
                    logger.warning("post refused", extra={"status": status})
                    return PostResult(delivery.connection_id, sent, gone=False, failed=True)
                sent += 1
        return PostResult(delivery.connection_id, sent, gone=False, failed=False)

    async def send(self, deliveries: Sequence[Delivery]) -> list[PostResult]:
        """Send every delivery; connections concurrently, each one's frames in order."""
        frozen: ReadOnlyCredentials = self._credentials.get_frozen_credentials()
        signer = ConnectionsSigner(frozen, self._region)
        session = self._http()
        return list(await asyncio.gather(*(self._send_all(session, signer, d) for d in deliveries)))


class _Kept:
    """The container's event loop and poster, made on first use and closed at exit."""

    runner: asyncio.Runner | None = None
    poster: Poster | None = None


def deliver(deliveries: Sequence[Delivery]) -> list[PostResult]:
    """Send from synchronous code (a Lambda handler) through the container's kept poster
    (the settings' region and fan-out concurrency)."""
    if not deliveries:
        return []
    if _Kept.runner is None:
        _Kept.runner = asyncio.Runner()
        atexit.register(_close_kept)
    if _Kept.poster is None:
        settings = get_settings()
        _Kept.poster = Poster(settings.aws_region, settings.fanout_concurrency)
    return _Kept.runner.run(_Kept.poster.send(deliveries))


def _close_kept() -> None:
    if _Kept.runner is not None:
        if _Kept.poster is not None:
            _Kept.runner.run(_Kept.poster.close())
        _Kept.runner.close()
    _Kept.runner = _Kept.poster = None
