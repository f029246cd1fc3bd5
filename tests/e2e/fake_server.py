"""The scripted backend (fake_backend.py) over real loopback sockets, for clients that cannot
be routed from inside (the desktop shell's QtWebEngine): the built UI and `/api/v1` on one port,
the gateway on another, served by aiohttp in a background thread."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from tests.e2e.fake_backend import FakeBackend


class _Socket:
    """FakeBackend's view of a gateway connection: ordered sends from the loop's thread."""

    def __init__(self, ws: web.WebSocketResponse, url: str) -> None:
        self.ws = ws
        self.url = url
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.handler: Any = None

    def on_message(self, handler: Any) -> None:
        self.handler = handler

    def send(self, text: str) -> None:
        self.queue.put_nowait(text)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.queue.put_nowait(None)

    async def pump(self) -> None:
        while (text := await self.queue.get()) is not None:
            await self.ws.send_str(text)
        await self.ws.close(code=4000)


class FakeServer:
    def __init__(self, ui_dist: Path) -> None:
        self.fake = FakeBackend()
        self.ui_dist = ui_dist
        self.loop = asyncio.new_event_loop()
        self.http_url = ""
        self.ws_url = ""
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        path = request.path.removeprefix("/api/v1")
        query = {k: request.query.getall(k) for k in request.query}
        self.fake.requests.append((request.method, path, body))
        status, answer = self.fake._answer(request.method, path, query, body)
        if status == 204:
            return web.Response(status=204)
        return web.json_response(answer, status=status)

    async def _static(self, request: web.Request) -> web.StreamResponse:
        root = self.ui_dist.resolve()
        candidate = (root / request.path.lstrip("/")).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return web.FileResponse(candidate)
        return web.FileResponse(root / "index.html")

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        socket = _Socket(ws, str(request.url))
        pump = asyncio.ensure_future(socket.pump())
        self.fake.on_gateway(socket)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and socket.handler is not None:
                socket.handler(msg.data)
        pump.cancel()
        return ws

    async def _start(self) -> None:
        http = web.Application()
        http.router.add_route("*", "/api/v1/{tail:.*}", self._api)
        http.router.add_get("/{tail:.*}", self._static)
        gateway = web.Application()
        gateway.router.add_get("/{tail:.*}", self._gateway)
        urls = []
        for app in (http, gateway):
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            port = runner.addresses[0][1]
            urls.append(port)
        self.http_url = f"http://127.0.0.1:{urls[0]}"
        self.ws_url = f"ws://127.0.0.1:{urls[1]}/"

    def start(self) -> FakeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def stop(self) -> None:
        async def cleanup() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def login_script(username: str, password: str) -> str:
    """JavaScript that signs in through the login form as a person would (React inputs)."""
    return (
        "(async () => {"
        " const wait = async (sel) => { for (let i = 0; i < 600; i++) {"
        "   const el = document.querySelector(sel); if (el) return el;"
        "   await new Promise((r) => setTimeout(r, 50)); } throw new Error(sel); };"
        " const type = (el, value) => {"
        "   const proto = Object.getPrototypeOf(el);"
        "   Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);"
        "   el.dispatchEvent(new Event('input', { bubbles: true })); };"
        f" type(await wait('[data-testid=login-name]'), {json.dumps(username)});"
        f" type(await wait('[data-testid=login-password]'), {json.dumps(password)});"
        " await new Promise((r) => setTimeout(r, 50));"
        " (await wait('form button[type=submit]')).click();"
        "})();"
    )
