"""The published API against the running local stack: its OpenAPI document is valid, Swagger
UI serves it offline, and schemathesis finds no server error and no answer the document does
not describe (status, content type, body schema) in any operation.

The fuzzed user is registered through the API and owns a seeded guild with a channel, a
message and a role, so that generated requests reach past "not found": each operation is run
with generated path ids and again with the seeded ones. Destructive operations (DELETE, logout)
run last, so they cannot empty the seed for the rest. Deterministic (derandomized), bounded by
``MAX_EXAMPLES`` per operation; the operation and case counts are printed in the test summary.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.stackproc import StackProcess

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 4
#: Data that fits the document, and data that does not (which must be a 4xx, never a 500).
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: What the last run did, for the terminal summary (tests/integration/conftest.py).
FUZZ_REPORT: dict[str, int] = {}


def _call(stack: StackProcess, method: str, path: str, body: Any, token: str | None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{stack.info['http_url']}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method=method,
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


def _register(stack: StackProcess) -> dict[str, Any]:
    name = f"f{secrets.token_hex(6)}"
    body = {"username": name, "email": f"{name}@example.com", "password": "correct-Horse-battery-9"}
    answer: dict[str, Any] = _call(stack, "POST", "/auth/register", body, None)
    return answer


@pytest.fixture(scope="module")
def seeded(parley_stack: StackProcess) -> dict[str, Any]:
    """A user with a guild, a text channel, a message, a role and a second member."""
    return seed(parley_stack)


def seed(parley_stack: StackProcess) -> dict[str, Any]:
    """The fuzzed user's token and the ids of what it owns (see :func:`seeded`)."""
    owner, other = _register(parley_stack), _register(parley_stack)
    token = owner["access_token"]
    guild = _call(parley_stack, "POST", "/guilds", {"name": "Fuzzed guild"}, token)
    channel = next(c["id"] for c in guild["channels"] if c["type"] == 0)
    invite = _call(parley_stack, "POST", f"/channels/{channel}/invites", {}, token)
    _call(parley_stack, "POST", f"/invites/{invite['code']}", None, other["access_token"])
    message = _call(parley_stack, "POST", f"/channels/{channel}/messages", {"content": "hi"}, token)
    role = _call(parley_stack, "POST", f"/guilds/{guild['id']}/roles", {"name": "fuzz"}, token)
    return {
        "token": token,
        "ids": {
            "guild_id": guild["id"],
            "channel_id": channel,
            "message_id": message["id"],
            "user_id": other["user"]["id"],
            "role_id": role["id"],
            "target_id": role["id"],
            "code": invite["code"],
            "emoji": "%F0%9F%91%8D",
        },
    }


def test_the_served_document_is_valid_openapi(parley_stack: StackProcess) -> None:
    document = _call(parley_stack, "GET", "/openapi.json", None, None)
    validate(document)
    assert ("/guilds/{guild_id}" in document["paths"]) and ("/health" in document["paths"])


def test_swagger_ui_is_served_offline_on_the_local_stack(parley_stack: StackProcess) -> None:
    base = parley_stack.info["http_url"]
    with urllib.request.urlopen(f"{base}/api/v1/docs", timeout=30) as page:
        html = page.read().decode()
        assert page.headers["content-type"].startswith("text/html")
    assert "/api/v1/openapi.json" in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/[^"]+)"', html):
        with urllib.request.urlopen(f"{base}{asset}", timeout=30) as response:
            assert response.status == 200 and len(response.read()) > 1000, asset


def _destructive_last(operation: Any) -> tuple[int, str]:
    destructive = operation.method.upper() == "DELETE" or operation.path == "/auth/logout"
    return (1 if destructive else 0, operation.label)


def _operations(schema: Any) -> Iterator[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    yield from sorted(operations, key=_destructive_last)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    parley_stack: StackProcess, seeded: dict[str, Any]
) -> None:
    base = f"{parley_stack.info['http_url']}/api/v1"
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    failures: list[str] = []
    operations = cases = 0
    for operation in _operations(schema):
        operations += 1
        names = re.findall(r"\{(\w+)\}", operation.path)
        fixed = {name: seeded["ids"][name] for name in names if name in seeded["ids"]}
        runs = [(mode, ids) for mode in MODES for ids in ([{}, fixed] if fixed else [{}])]
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

            @given(case=strategy)
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal cases
                cases += 1
                case.call_and_validate(base_url=base, headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body): positive only
            except (Exception, BaseExceptionGroup) as error:  # collected; the run goes on
                failures.append(f"{operation.label}: {error}"[:3000])
    FUZZ_REPORT.update(operations=operations, cases=cases, failures=len(failures))
    assert not failures, "\n\n".join(failures[:20])
