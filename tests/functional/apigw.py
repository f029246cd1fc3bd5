"""Replaying requests through a function's ``lambda_handler`` as API Gateway would call it.

The route, its function and its path parameters come from ``template.yaml`` (matched by the
emulator's own route table), and the event is built by the emulator's payload 2.0 builder, with
the JWT authorizer's verified claims (``{"sub": "<user id>"}``) where API Gateway puts them.
"""

from __future__ import annotations

import importlib
import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from emulator.events import HttpRequestFacts, http_api_event
from emulator.http_api import RouteTable
from emulator.template import Template, load_template
from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "template.yaml"


@cache
def template() -> Template:
    return load_template(Path(TEMPLATE))


@cache
def routes() -> RouteTable:
    return RouteTable(template().http_routes)


@dataclass
class LambdaContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]})"


def handler_for(function_id: str) -> Any:
    spec = template().functions[function_id]
    return getattr(importlib.import_module(spec.module), spec.attribute)


def request(
    method: str,
    path: str,
    *,
    user: int | None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
) -> Reply:
    """One request to the route ``template.yaml`` maps ``method path`` to."""
    full_path = f"/api/v1{path}"
    matched = routes().match(method, full_path)
    assert matched is not None, f"no route for {method} {full_path}"
    route, params = matched
    raw = b"" if body is None else json.dumps(body).encode()
    all_headers = {"content-type": "application/json", **(headers or {})}
    pairs = [(k, str(v)) for k, v in (query or {}).items()]
    facts = HttpRequestFacts(
        method=method,
        path=full_path,
        raw_query=urlencode(pairs),
        query=pairs,
        headers=list(all_headers.items()),
        body=raw,
        source_ip="127.0.0.1",
        domain_name="api.example.com",
        api_id="api",
        route_key=route.route_key,
        path_parameters=params,
        authorizer=None
        if user is None
        else {"jwt": {"claims": {"sub": str(user)}, "scopes": None}},
    )
    event = http_api_event(facts)
    result = handler_for(route.function_id)(event, LambdaContext(aws_request_id=str(uuid.uuid4())))
    return Reply(
        status=int(result["statusCode"]),
        headers={k.lower(): v for k, v in (result.get("headers") or {}).items()},
        text=result.get("body") or "",
    )
