"""Unit tests run without a network: a test that opens an internet socket fails.

Only this folder is guarded (a fixture here applies to the tests below it alone); the functional
and integration tests, collected in the same session by ``make test``, keep their sockets.
Unix sockets stay allowed: every asyncio event loop wakes itself through a ``socketpair``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
