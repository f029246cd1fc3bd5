"""API Gateway's idle timeout and connection cap, shortened to seconds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import aiohttp
import pytest

from tests.integration.conftest import FIXTURE_TEMPLATE
from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

IDLE_S = 1.5
MAX_AGE_S = 4.0


@pytest.fixture(scope="module")
def short_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir = tmp_path_factory.mktemp("limits")
    (workdir / "records").mkdir()
    stack = StackProcess(
        workdir,
        template=FIXTURE_TEMPLATE,
        extra_args=[
            "--no-reload",
            "--idle-timeout",
            str(IDLE_S),
            "--max-connection",
            str(MAX_AGE_S),
        ],
        env={"FIXTURE_RECORD_DIR": str(workdir / "records")},
    )
    stack.start()
    yield stack
    stack.stop()


async def test_idle_connection_is_closed_after_the_idle_timeout(short_stack: StackProcess) -> None:
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        ws = await session.ws_connect(f"{short_stack.info['ws_url']}?token=good")
        closing = await ws.receive(timeout=30)
        elapsed = time.monotonic() - started
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 1001
    assert elapsed >= IDLE_S


async def test_busy_connection_is_closed_at_the_connection_cap(short_stack: StackProcess) -> None:
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        ws = await session.ws_connect(f"{short_stack.info['ws_url']}?token=good")
        closing = None
        # Keep it busy (never idle for IDLE_S) until the server closes it.
        while closing is None and time.monotonic() - started < 30:
            await ws.send_str(json.dumps({"action": "ping"}))
            try:
                while True:
                    msg = await ws.receive(timeout=IDLE_S / 3)
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        closing = msg
                        break
            except TimeoutError:
                continue
        elapsed = time.monotonic() - started
    assert closing is not None
    assert closing.data == 1001
    assert elapsed >= MAX_AGE_S
