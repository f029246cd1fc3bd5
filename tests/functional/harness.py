"""Calling REST handlers as API Gateway would, without sockets (see conftest.py)."""

from __future__ import annotations

import importlib
import json
import secrets
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt

from emulator.events import HttpRequestFacts, http_api_event
from emulator.http_api import RouteTable
from emulator.jwt_authorizer import Allowed, authorize, bearer_token
from emulator.store import ensure_tables
from emulator.template import TableSpec, Template, load_template
from emulator.worker import LambdaContext
from shared.auth.keysource import load_keyring
from shared.config import get_settings
from tests.conftest import REPO_ROOT


@cache
def template() -> Template:
    settings = get_settings()
    return load_template(
        REPO_ROOT / "template.yaml", parameters={"ApiBaseUrl": settings.public_url}
    )


def create_tables() -> None:
    """The template's table, under the name the settings give (inside mock_aws)."""
    settings = get_settings()
    specs = [
        TableSpec(logical_id=t.logical_id, name=settings.table_name, properties=t.properties)
        for t in template().tables.values()
    ]
    ensure_tables(None, settings.aws_region, specs)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any
    cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return self.body


def _context(function: str) -> LambdaContext:
    return LambdaContext(
        function_name=function,
        memory_limit_in_mb=256,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{function}",
        aws_request_id=secrets.token_hex(8),
        deadline_ms=int(time.time() * 1000) + 30_000,
    )


class Api:
    """The HTTP API of template.yaml, with handlers called in-process."""

    def __init__(self, source_ip: str = "198.51.100.7") -> None:
        self.routes = RouteTable(template().http_routes)
        self.source_ip = source_ip

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        cookies: list[str] | None = None,
        query: dict[str, str] | None = None,
        source_ip: str | None = None,
    ) -> Reply:
        matched = self.routes.match(method, path)
        if matched is None:
            return Reply(404, {}, {"message": "Not Found"})
        route, params = matched
        header_list = [("content-type", "application/json"), *(headers or {}).items()]
        if token is not None:
            header_list.append(("authorization", f"Bearer {token}"))
        if cookies:
            header_list.append(("cookie", "; ".join(cookies)))
        authorizer = None
        if route.authorizer is not None:
            spec = template().http_authorizers[route.authorizer]
            jwks = jwt.PyJWKSet.from_dict(load_keyring(get_settings()).jwks())
            decision = authorize(spec, bearer_token(token), jwks, route.scopes)
            if not isinstance(decision, Allowed):
                return Reply(
                    decision.status,
                    {"www-authenticate": decision.www_authenticate},
                    {"message": decision.message},
                )
            authorizer = decision.context()
        raw = (
            b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        )
        query_pairs = list((query or {}).items())
        event = http_api_event(
            HttpRequestFacts(
                method=method,
                path=path,
                raw_query="&".join(f"{k}={v}" for k, v in query_pairs),
                query=query_pairs,
                headers=header_list,
                body=raw,
                source_ip=source_ip or self.source_ip,
                domain_name="parley.test",
                api_id="local",
                route_key=route.route_key,
                path_parameters=params,
                authorizer=authorizer,
            )
        )
        spec = template().functions[route.function_id]
        module = importlib.import_module(spec.module)
        result = getattr(module, spec.attribute)(event, _context(route.function_id))
        text = result.get("body") or ""
        return Reply(
            status=int(result["statusCode"]),
            headers={k.lower(): v for k, v in (result.get("headers") or {}).items()},
            body=json.loads(text) if text else None,
            cookies=list(result.get("cookies") or []),
        )

    def register(
        self, username: str, email: str | None = None, password: str = "correct horse battery"
    ) -> Reply:
        return self.request(
            "POST",
            "/api/v1/auth/register",
            {
                "username": username,
                "email": email or f"{username}@example.com",
                "password": password,
            },
        )

    def login(self, login: str, password: str = "correct horse battery", **kw: Any) -> Reply:
        return self.request(
            "POST", "/api/v1/auth/login", {"login": login, "password": password}, **kw
        )
