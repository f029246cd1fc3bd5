"""Posting frames to many connections at once, for the fan-out.

The stock boto3 ``post_to_connection`` costs close to a millisecond of CPU per call (request
serialisation, endpoint resolution, retry machinery). A fan-out sends the same kind of request
thousands of times, so this poster signs each one with botocore's own SigV4 signer and sends it
over one pooled aiohttp session: the same wire request as boto3's, a fraction of the CPU
(``bench/fanout.py`` measures both).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.observability import logger

__all__ = ["Delivery", "PostResult", "Poster"]


_RETRYABLE = frozenset({429, 500, 502, 503, 504})


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
    """Signs and sends @connections POSTs concurrently (bounded), in order per connection."""

    def __init__(self, region: str, concurrency: int) -> None:
        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials to sign @connections requests with")
        self._credentials: ReadOnlyCredentials = credentials.get_frozen_credentials()
        self._region = region
        self._limit = asyncio.Semaphore(concurrency)

    def _signed_headers(self, url: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(method="POST", url=url, data=body)
        SigV4Auth(self._credentials, "execute-api", self._region).add_auth(request)
        return dict(request.headers.items())

    async def _post(self, session: aiohttp.ClientSession, url: str, body: bytes) -> int:
        """One POST, retried with backoff while throttled or failing (never on 410)."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.05, max=1.0),
            reraise=True,
        ):
            with attempt:
                try:
                    async with session.post(
                        url, data=body, headers=self._signed_headers(url, body)
                    ) as response:
                        status = response.status
                except aiohttp.ClientError as exc:
                    raise _Retryable(599) from exc
                if status in _RETRYABLE:
                    raise _Retryable(status)
                return status
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _send_all(self, session: aiohttp.ClientSession, delivery: Delivery) -> PostResult:
        url = f"{delivery.endpoint}/@connections/{quote(delivery.connection_id, safe='')}"
        sent = 0
        async with self._limit:
            for body in delivery.frames:
                try:
                    status = await self._post(session, url, body)
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
        timeout = aiohttp.ClientTimeout(total=30, connect=3)
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=30)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            return list(await asyncio.gather(*(self._send_all(session, d) for d in deliveries)))
