"""The integration suite: whole stacks over real sockets on ephemeral loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stackproc import StackProcess

FIXTURE_TEMPLATE = Path(__file__).parent / "fixture_stack" / "template.yaml"


@pytest.fixture(scope="session")
def parley_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The real template.yaml, served as `make dev` serves it (ports aside)."""
    stack = StackProcess(tmp_path_factory.mktemp("parley"), extra_args=["--no-reload"])
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def fixture_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The emulator's test template: handlers that report the events they were given."""
    workdir = tmp_path_factory.mktemp("fixture")
    records = workdir / "records"
    records.mkdir()
    stack = StackProcess(
        workdir,
        template=FIXTURE_TEMPLATE,
        extra_args=["--no-reload"],
        env={"FIXTURE_RECORD_DIR": str(records)},
    )
    stack.start()
    yield stack
    stack.stop()
