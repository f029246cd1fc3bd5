"""A web server on loopback serving the pages link previews are tested with (functional and
e2e tests): an Open Graph page, an image, plain text, redirects, an oversize and a slow page.
Each path's hits are counted, so a test can tell whether a URL was fetched."""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def gradient_png(width: int = 96, height: int = 96) -> bytes:
    """A small PNG of a colour gradient (something a screenshot shows)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((88 + x, 101 + y, 242 - x)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = gradient_png()


def og_page(title: str, description: str, image: str, site: str = "Pages Test") -> bytes:
    return f"""<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">
<meta property="og:image" content="{image}">
<meta property="og:site_name" content="{site}">
<meta name="theme-color" content="#5865f2">
</head><body><p>{description}</p></body></html>""".encode()


class PagesServer:
    """``http://127.0.0.1:<port>``: /og, /title, /video (only an oEmbed link), /image.png, /text,
    /missing, /redirect?to=,
    /big (``big_bytes`` of HTML with its tags first), /slow and /slow-headers (a byte of the
    body or of the headers every ``slow_gap_s``)."""

    def __init__(self, big_bytes: int = 5 * 1024 * 1024, slow_gap_s: float = 0.3) -> None:
        self.hits: Counter[str] = Counter()
        self.big_bytes = big_bytes
        self.slow_gap_s = slow_gap_s
        self.sent: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                server.hits[parts.path] += 1
                server.user_agents.append(self.headers.get("User-Agent", ""))
                server.route(self, parts.path, parse_qs(parts.query))

        self.user_agents: list[str] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> PagesServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        if path.startswith("/og"):
            n = query.get("n", [""])[0]
            body = og_page(
                f"A page worth sharing{n}",
                "What the page says about itself.",
                f"{self.base}/image.png",
            )
            return self._answer(h, 200, "text/html; charset=utf-8", body)
        if path == "/title":
            body = b"<html><head><title>Only a title</title></head><body></body></html>"
            return self._answer(h, 200, "text/html", body)
        if path == "/video":
            kind = "application/json+oembed"
            link = f'<link rel="alternate" type="{kind}" href="{self.base}/oembed.json">'
            return self._answer(h, 200, "text/html", link.encode())
        if path == "/oembed.json":
            answer = {
                "type": "video",
                "title": "A video",
                "provider_name": "Videos Test",
                "thumbnail_url": f"{self.base}/image.png",
            }
            return self._answer(h, 200, "application/json", json.dumps(answer).encode())
        if path == "/image.png":
            return self._answer(h, 200, "image/png", PNG)
        if path == "/text":
            return self._answer(h, 200, "text/plain", b"<title>not html</title>")
        if path == "/redirect":
            h.send_response(302)
            h.send_header("Location", query["to"][0])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path == "/big":
            return self._big(h)
        if path == "/slow":
            return self._slow(h)
        if path == "/slow-headers":
            return self._slow_headers(h)
        return self._answer(h, 404, "text/plain", b"no such page")

    def _answer(self, h: BaseHTTPRequestHandler, status: int, kind: str, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _big(self, h: BaseHTTPRequestHandler) -> None:
        head = og_page("A big page", "Its tags come first.", f"{self.base}/image.png")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(self.big_bytes))
        h.end_headers()
        sent = 0
        filler = b"<p>" + b"x" * 65_000 + b"</p>"
        try:
            h.wfile.write(head)
            sent = len(head)
            while sent < self.big_bytes:
                chunk = filler[: self.big_bytes - sent]
                h.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client stopped reading
        finally:
            self.sent["/big"] = sent

    def _slow(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        self._trickle(h, b"<html><head><title>Slow", b" ")

    def _slow_headers(self, h: BaseHTTPRequestHandler) -> None:
        """Headers that never end: one byte of a header line at a time."""
        self._trickle(h, b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a")

    def _trickle(self, h: BaseHTTPRequestHandler, first: bytes, byte: bytes) -> None:
        try:
            h.wfile.write(first)
            for _ in range(200):
                time.sleep(self.slow_gap_s)
                h.wfile.write(byte)
                h.wfile.flush()
        except OSError:
            pass  # the client gave up
