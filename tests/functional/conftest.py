"""Functional tests: handlers replayed under moto's in-process ``mock_aws``.

Every test gets a fresh ``mock_aws`` with the template's tables; the per-container caches (the
@connections clients, pynamodb's connection) are dropped so nothing leaks from one test into
the next. Events are recorded fixtures (tests/events) or built by the emulator's own builders
and passed through its JWT authorizer logic (``harness.Api``), so a handler sees exactly what it
would behind the stack.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from emulator.motopatch import cheap_transactions, partition_queries, plain_json_answers
from shared.config import get_settings
from shared.gateway import fanout
from shared.gateway import router as gateway_router
from shared.gateway.connections import ConnectionGone, management_client, post_frame
from shared.gateway.storage import gateway_log
from shared.gateway.view_cache import ViewCache
from shared.limits.domain.bucket import Rate
from shared.limits.per_user import BUDGETS
from shared.messages.storage import attachment_objects
from shared.table.schema import ParleyItem
from tests.conftest import REPO_ROOT
from tests.functional.harness import Api, create_tables

EVENTS = REPO_ROOT / "tests" / "events"


@dataclass(frozen=True)
class FakeLambdaContext:
    """The parts of Lambda's context object Powertools reads."""

    function_name: str = "parley-test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:parley-test-function"
    )
    aws_request_id: str = "6f3c1b2a-7d4e-4f5a-9b8c-0d1e2f3a4b5c"
    log_group_name: str = "/aws/lambda/parley-test-function"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 5_000


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A recorded event from tests/events, with top-level fields replaced."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event.update(copy.deepcopy(overrides))
    return event


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, and nothing a container keeps (clients, log heads, channel views)
    from before it started."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("PARLEY_AWS_ENDPOINT_URL", raising=False)
    management_client.cache_clear()
    monkeypatch.setattr(ParleyItem, "_connection", None)
    monkeypatch.setattr(gateway_log, "_HEADS", {})
    monkeypatch.setattr(fanout, "VIEWS", ViewCache())
    with mock_aws():
        create_tables()
        yield
    management_client.cache_clear()


@pytest.fixture
def table_name() -> str:
    name = os.environ["PARLEY_TABLE_NAME"]
    # The handlers read the name once, at import; the test must use the same one.
    assert get_settings().table_name == name
    assert ParleyItem.Meta.table_name == name
    return name


@pytest.fixture
def table(aws: None, table_name: str) -> str:
    """The template's table, under the test's name (every test has it: see ``aws``)."""
    return table_name


@pytest.fixture
def api(table: str) -> Api:
    """The template's HTTP API, its handlers called in-process."""
    return Api()


def posted_to(connection_id: str) -> bytes:
    """Everything moto's @connections API received for one connection."""
    data = b""
    for backend in apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID].values():
        for key, connection in backend.connections.items():
            # moto keeps the id as it appeared in the URL, percent-encoded.
            if unquote(key) == connection_id:
                data += connection.data
    return data


def frames_posted(connection_id: str) -> list[dict[str, Any]]:
    """The frames moto's @connections API received for one connection, in order."""
    text = posted_to(connection_id).decode()
    decoder = json.JSONDecoder()
    frames: list[dict[str, Any]] = []
    index = 0
    while index < len(text):
        frame, index = decoder.raw_decode(text, index)
        frames.append(frame)
    return frames


@pytest.fixture
def no_table(table_name: str) -> None:
    """The store answers, but the table is gone (deleted, or never deployed)."""
    import boto3

    boto3.client("dynamodb", region_name=get_settings().aws_region).delete_table(
        TableName=table_name
    )


@pytest.fixture(autouse=True)
def _frames_through_boto3(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, moto answers botocore's requests but not aiohttp's: a handler's runs of
    frames (READY, replays) go through boto3 one by one here. The Poster they use otherwise is
    tested against the emulator's @connections API (tests/integration/test_poster.py)."""

    def one_by_one(domain_name: str, stage: str, connection_id: str, frames: Any) -> bool:
        try:
            for frame in frames:
                post_frame(domain_name, stage, connection_id, frame)
        except ConnectionGone:
            return False
        return True

    monkeypatch.setattr(gateway_router, "post_frames", one_by_one)


@pytest.fixture(scope="package", autouse=True)
def _fast_store() -> Iterator[None]:
    """moto copies whole tables per transaction, sorts them per Query and serializes answers
    slowly; see emulator/motopatch.py."""
    with cheap_transactions(), partition_queries(), plain_json_answers():
        yield


@pytest.fixture
def store(table: str) -> None:
    """A fresh, empty table (the template's): every test has one, see ``aws``."""


@pytest.fixture
def bucket(aws: None) -> Iterator[str]:
    """The attachments bucket, inside this test's mock_aws (and no client from before it)."""
    attachment_objects.client.cache_clear()
    name = get_settings().attachments_bucket
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=name)
    yield name
    attachment_objects.client.cache_clear()


@pytest.fixture
def slow_refill(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], int]]:
    """A group's real capacity, refilled over an hour: the edge does not move while the test
    runs (a budget such as 10 per 5 s refills a token every half second)."""

    def apply(group: str) -> int:
        capacity = Rate.parse(BUDGETS[group]).capacity
        monkeypatch.setenv("PARLEY_RATE_LIMITS", json.dumps({group: f"{capacity}/3600"}))
        get_settings.cache_clear()
        return capacity

    yield apply
    get_settings.cache_clear()
