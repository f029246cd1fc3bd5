"""An HTTP fetcher for link previews that cannot be turned against Parley's own network.

Every hop (the link, then each redirect, at most :attr:`FetchLimits.max_redirects`) is
checked the same way: ``http``/``https`` only, no credentials in the URL, the name resolved
here and *every* address it resolves to permitted by the :class:`AddressPolicy` (public
unicast on the scheme's own port, or an explicitly allowed network). The connection then goes
to the checked address itself, so the name is never resolved a second time (DNS rebinding);
HTTPS still verifies the certificate against the name (SNI). The whole fetch has one deadline,
enforced on the socket by a watchdog (a page that trickles its bytes is cut there too), and at
most :attr:`FetchLimits.max_bytes` of a body are read.

The resolver is a parameter so that tests decide what a name resolves to.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from email.message import Message as HeaderMessage
from typing import Final
from urllib.parse import urljoin, urlsplit

from shared.embeds.domain.addresses import DEFAULT_PORTS, Address, AddressPolicy, parse_address

__all__ = [
    "USER_AGENT",
    "FetchFailed",
    "FetchLimits",
    "Fetcher",
    "Page",
    "Refused",
    "Resolver",
    "TimedOut",
    "system_resolver",
]

USER_AGENT: Final = "Mozilla/5.0 (compatible; ParleyBot/0.1; link previews)"
_REDIRECTS: Final = {301, 302, 303, 307, 308}
_CHUNK: Final = 64 * 1024

#: Resolves a host name (and port) to the addresses a connection could go to.
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for a TCP connection to ``host``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class FetchFailed(Exception):
    """The link gave no page: refused, unreachable, timed out, or an error status."""


class Refused(FetchFailed):
    """The link (or a redirect) names what may not be fetched."""


class TimedOut(FetchFailed):
    """The fetch did not finish within its deadline."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout_s: float = 5.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched response: the URL it came from (after redirects), its media type, and at
    most ``max_bytes`` of its body (``truncated`` when there was more)."""

    url: str
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to one checked address, the Host header naming the link's host."""

    def __init__(self, address: Address, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to one checked address, verified against the link's host."""

    def __init__(self, address: Address, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((str(self.address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _cut(connection: http.client.HTTPConnection) -> None:
    """The watchdog: at the deadline, end whatever read or write the fetch is blocked in."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@dataclass
class Fetcher:
    policy: AddressPolicy = field(default_factory=AddressPolicy)
    resolver: Resolver = system_resolver
    limits: FetchLimits = field(default_factory=FetchLimits)

    def fetch(self, url: str) -> Page:
        """The page at ``url``; :class:`Refused`, :class:`TimedOut` or :class:`FetchFailed`."""
        deadline = time.monotonic() + self.limits.timeout_s
        for _ in range(self.limits.max_redirects + 1):
            page, location = self._hop(url, deadline)
            if page is not None:
                return page
            url = urljoin(url, location)
        raise Refused(f"more than {self.limits.max_redirects} redirects")

    def _address(self, scheme: str, host: str, port: int, deadline: float) -> Address:
        """The address to connect to, once every address of ``host`` is permitted. The
        resolver has until the deadline (the system's has no timeout of its own: it runs in a
        thread that is left behind if it takes longer)."""
        worker = ThreadPoolExecutor(max_workers=1)
        try:
            found = worker.submit(self.resolver, host, port)
            answers = [parse_address(a) for a in found.result(deadline - time.monotonic())]
        except FutureTimeout as exc:
            raise TimedOut(f"resolving {host} took too long") from exc
        except (OSError, ValueError) as exc:
            raise FetchFailed(f"cannot resolve {host}") from exc
        finally:
            worker.shutdown(wait=False)
        if not answers:
            raise FetchFailed(f"{host} has no address")
        for address in answers:
            if not self.policy.permits(address, scheme, port):
                raise Refused(f"{host} resolves to {address}, which may not be fetched")
        return answers[0]

    def _hop(self, url: str, deadline: float) -> tuple[Page | None, str]:
        """One request: a page, or (None, the redirect's location)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise Refused(f"{scheme or 'no'} scheme")
        if parts.username is not None or parts.password is not None or not parts.hostname:
            raise Refused("a link with credentials or no host")
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError as exc:
            raise Refused("a bad port") from exc
        host = parts.hostname
        try:
            address: Address = parse_address(host)
            if not self.policy.permits(address, scheme, port):
                raise Refused(f"{address} may not be fetched")
        except ValueError:
            address = self._address(scheme, host, port, deadline)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut("no time left")
        kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = kind(address, host, port, remaining)
        watchdog = threading.Timer(remaining, _cut, [connection])
        watchdog.daemon = True
        watchdog.start()
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request(
                "GET",
                target,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml,image/*;q=0.8,*/*;q=0.1",
                    "Accept-Encoding": "identity",
                },
            )
            response = connection.getresponse()
            self._in_time(deadline)
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchFailed("a redirect without a location")
                return None, location
            if response.status != 200:
                raise FetchFailed(f"status {response.status}")
            body, truncated = self._body(response, deadline)
            self._in_time(deadline)
            header = HeaderMessage()
            header["Content-Type"] = response.getheader("Content-Type") or ""
            return Page(
                url=url,
                content_type=header.get_content_type(),
                charset=header.get_content_charset(),
                body=body,
                truncated=truncated,
            ), ""
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline - 0.01:
                raise TimedOut(f"{url} took more than {self.limits.timeout_s:g} s") from exc
            raise FetchFailed(f"{url}: {exc}") from exc
        finally:
            watchdog.cancel()
            connection.close()

    def _in_time(self, deadline: float) -> None:
        """Past the deadline, the watchdog has ended the connection: what was read is cut."""
        if time.monotonic() >= deadline:
            raise TimedOut(f"the fetch took more than {self.limits.timeout_s:g} s")

    def _body(self, response: http.client.HTTPResponse, deadline: float) -> tuple[bytes, bool]:
        """At most ``max_bytes`` of the body, read before the deadline."""
        cap = self.limits.max_bytes
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = response.read1(min(_CHUNK, cap + 1 - size))
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() >= deadline:
                raise TimedOut("the body took too long")
        return b"".join(chunks)[:cap], True
