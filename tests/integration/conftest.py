"""The integration suite: whole stacks over real sockets on ephemeral loopback ports."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.limits.per_user import BUDGETS
from tests.integration.stackproc import StackProcess

FIXTURE_TEMPLATE = Path(__file__).parent / "fixture_stack" / "template.yaml"
#: Every per-user budget far away: the tests that send hundreds of messages, reactions or
#: voice updates test something else; each budget is tested at its edge under moto
#: (tests/functional/test_per_user_limits.py).
FAR_BUDGETS = {"PARLEY_RATE_LIMITS": json.dumps(dict.fromkeys(BUDGETS, "100000/1"))}


@pytest.fixture(scope="session")
def parley_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The real template.yaml, served as `make dev` serves it (ports aside)."""
    workdir = tmp_path_factory.mktemp("parley")
    stack = StackProcess(
        workdir,
        extra_args=["--no-reload"],
        env={
            # Many tests sign up from one address: the per-IP auth limits would refuse them.
            "PARLEY_RATE_REGISTER_PER_IP": "100000/60",
            "PARLEY_RATE_LOGIN_PER_IP": "100000/60",
            # The message tests send hundreds; the limit itself is tested at its edge elsewhere.
            "PARLEY_RATE_MESSAGES_PER_CHANNEL": "100000/1",
            "PARLEY_RATE_TYPING_PER_CHANNEL": "100000/1",
            **FAR_BUDGETS,
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(workdir / "data"),
            # The voice watcher makes one pass a minute here, not one every 2 s (the voice
            # tests run their own stack): the embedded store serves one request at a time.
            "PARLEY_VOICE_WATCH_SPAN_S": "0",
        },
    )
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


@pytest.fixture
def access_token(parley_stack: StackProcess) -> str:
    """A fresh user's access token on the real stack (for routes and the gateway's $connect)."""
    return register_user(parley_stack)["access_token"]


def register_user(
    stack: StackProcess, username: str | None = None, password: str = "correct horse battery"
) -> dict[str, Any]:
    """Register a new user through the running stack; the CONTRACT's register answer."""
    name = username or f"u{secrets.token_hex(6)}"
    body = {"username": name, "email": f"{name}@example.com", "password": password}
    request = urllib.request.Request(
        f"{stack.info['http_url']}/api/v1/auth/register",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The API fuzzing run's counts, shown whatever the output capture (tests/integration)."""
    from tests.integration.test_api_fuzz import FUZZ_REPORT

    if FUZZ_REPORT:
        terminalreporter.write_line(
            "schemathesis: {operations} operations, {cases} cases, {failures} failures".format(
                **FUZZ_REPORT
            )
        )
