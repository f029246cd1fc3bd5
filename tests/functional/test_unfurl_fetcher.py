"""The link preview fetcher against a real web server on loopback: it refuses loopback without
the allow-list; private, link-local, multicast, CGNAT and other addresses directly, through
redirects (at most five) and through DNS answers (the resolver is the test's); other schemes,
credentials and ports; and it cuts oversize and slow pages at their limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from shared.embeds.domain.addresses import AddressPolicy
from shared.embeds.domain.embed import page_embed
from shared.embeds.fetcher import Fetcher, FetchLimits, Refused, Resolver, TimedOut
from tests.pages_server import PagesServer

LOOPBACK = AddressPolicy.parse(["127.0.0.1/32"])


@pytest.fixture
def pages() -> Iterator[PagesServer]:
    with PagesServer() as server:
        yield server


# ---------------------------------------------------------------- what the fetcher refuses
FORBIDDEN = [
    "127.0.0.1",
    "10.1.2.3",
    "192.168.1.10",
    "172.16.5.4",
    "169.254.169.254",
    "::1",
    "fc00::1",
    "fe80::1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::ffff:127.0.0.1",
]


def _resolving(names: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        return names[host]

    return resolve


def _url(address: str, path: str = "/og", port: int = 80) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


def test_without_the_allow_list_loopback_is_refused_before_any_connection(
    pages: PagesServer,
) -> None:
    with pytest.raises(Refused):
        Fetcher().fetch(f"{pages.base}/og")
    assert sum(pages.hits.values()) == 0


@pytest.mark.parametrize("address", FORBIDDEN)
def test_forbidden_addresses_are_refused_directly(address: str) -> None:
    with pytest.raises(Refused):
        Fetcher().fetch(_url(address))


@pytest.mark.parametrize(
    "address", [a if a != "127.0.0.1" else "127.0.0.2" for a in FORBIDDEN]
)  # the allowed host is 127.0.0.1 itself; 127.0.0.2 is loopback outside the allow-list
def test_forbidden_addresses_are_refused_through_a_redirect_from_an_allowed_host(
    pages: PagesServer, address: str
) -> None:
    target = _url(address, port=pages.httpd.server_address[1])
    with pytest.raises(Refused):
        Fetcher(policy=LOOPBACK).fetch(f"{pages.base}/redirect?to={target}")
    assert pages.hits["/redirect"] == 1
    assert pages.hits["/og"] == 0


@pytest.mark.parametrize("address", FORBIDDEN)
def test_a_name_resolving_to_a_forbidden_address_is_refused(address: str) -> None:
    fetcher = Fetcher(resolver=_resolving({"pages.example": [address]}))
    with pytest.raises(Refused, match="resolves to"):
        fetcher.fetch("http://pages.example/og")


def test_a_name_with_one_forbidden_address_among_public_ones_is_refused() -> None:
    fetcher = Fetcher(resolver=_resolving({"pages.example": ["93.184.216.34", "10.0.0.8"]}))
    with pytest.raises(Refused, match=r"10\.0\.0\.8"):
        fetcher.fetch("https://pages.example/")


def test_a_redirect_to_a_name_resolving_to_a_private_address_is_refused(
    pages: PagesServer,
) -> None:
    names = {"pages.example": ["127.0.0.1"], "inside.example": ["192.168.0.7"]}
    fetcher = Fetcher(policy=LOOPBACK, resolver=_resolving(names))
    port = pages.httpd.server_address[1]
    with pytest.raises(Refused, match=r"192\.168\.0\.7"):
        fetcher.fetch(f"http://pages.example:{port}/redirect?to=http://inside.example/og")
    assert pages.hits["/redirect"] == 1


def test_the_fetcher_connects_to_the_address_it_checked(pages: PagesServer) -> None:
    """The name is resolved once per hop; the connection goes to that answer (DNS rebinding:
    a second answer is never asked for)."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    port = pages.httpd.server_address[1]
    page = Fetcher(policy=LOOPBACK, resolver=rebinding).fetch(f"http://pages.example:{port}/og")
    assert calls == ["pages.example"]
    assert b"A page worth sharing" in page.body


def test_other_schemes_credentials_and_ports_are_refused() -> None:
    public = _resolving({"pages.example": ["93.184.216.34"]})
    for url in [
        "ftp://pages.example/",
        "file:///etc/passwd",
        "http://user:pw@pages.example/",
        "http://pages.example:8080/",
        "https://pages.example:80/",
    ]:
        with pytest.raises(Refused):
            Fetcher(resolver=public).fetch(url)


def test_more_than_five_redirects_are_refused(pages: PagesServer) -> None:
    url = f"{pages.base}/og"
    for _ in range(6):
        url = f"{pages.base}/redirect?to={url.replace('?', '%3F').replace('=', '%3D')}"
    with pytest.raises(Refused, match="redirects"):
        Fetcher(policy=LOOPBACK).fetch(url)
    assert pages.hits["/redirect"] == 6
    assert pages.hits["/og"] == 0
    five = f"{pages.base}/og"
    for _ in range(5):
        five = f"{pages.base}/redirect?to={five}"
    assert Fetcher(policy=LOOPBACK).fetch(five).url == f"{pages.base}/og"


def test_an_oversize_page_is_cut_at_the_cap_and_still_parsed(pages: PagesServer) -> None:
    cap = 256 * 1024
    fetcher = Fetcher(policy=LOOPBACK, limits=FetchLimits(max_bytes=cap))
    page = fetcher.fetch(f"{pages.base}/big")
    assert page.truncated
    assert len(page.body) == cap
    embed = page_embed(page.url, page.body.decode())
    assert embed is not None and embed["title"] == "A big page"
    exact = Fetcher(policy=LOOPBACK, limits=FetchLimits(max_bytes=pages.big_bytes))
    assert not exact.fetch(f"{pages.base}/big").truncated


@pytest.mark.parametrize("path", ["/slow", "/slow-headers"])
def test_a_slow_page_times_out_within_the_limit(pages: PagesServer, path: str) -> None:
    fetcher = Fetcher(policy=LOOPBACK, limits=FetchLimits(timeout_s=1.0))
    start = time.monotonic()
    with pytest.raises(TimedOut):
        fetcher.fetch(f"{pages.base}{path}")
    assert time.monotonic() - start < 2.0


def test_a_slow_name_lookup_times_out_within_the_limit() -> None:
    release = threading.Event()

    def stuck(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["93.184.216.34"]

    fetcher = Fetcher(resolver=stuck, limits=FetchLimits(timeout_s=1.0))
    start = time.monotonic()
    try:
        with pytest.raises(TimedOut, match="resolving"):
            fetcher.fetch("https://pages.example/")
        assert time.monotonic() - start < 2.0
    finally:
        release.set()
