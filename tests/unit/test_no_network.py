"""Unit tests have no network (``tests/unit/conftest.py``): opening an internet socket fails
the test, while an asyncio event loop, which wakes itself through a Unix socket pair, still runs."""

from __future__ import annotations

import asyncio
import socket

import pytest
from pytest_socket import SocketBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_opening_an_internet_socket_raises() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_a_name_cannot_be_resolved() -> None:
    with pytest.raises(SocketBlockedError):
        socket.getaddrinfo("localhost", 80)


def test_an_event_loop_still_runs() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert asyncio.run(answer()) == 42
