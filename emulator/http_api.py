"""API Gateway's HTTP API, locally: the template's routes as payload format 2.0 events.

Route matching follows the HTTP API's precedence: an exact path beats one with ``{params}``,
which beats a greedy ``{proxy+}``; a method beats ``ANY``. Responses are read as Lambda's
format 2.0 answers are, including the "plain JSON result means 200" rule. Everything else
(no route, a failed or timed-out function) answers with API Gateway's own bodies and statuses.
The built UI, when there is one, is served at ``/``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.events import HttpRequestFacts, http_api_event
from emulator.jwt_authorizer import JwtAuthorizer, Refused
from emulator.runtime import FunctionError, FunctionTimeout, Runtimes
from emulator.swagger import add_docs_routes
from emulator.template import HttpRoute, JwtAuthorizerSpec

__all__ = ["HttpApi", "RouteTable"]

log = logging.getLogger("parley.http")

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # the HTTP API's payload quota
# aiohttp's own request-line limit (8190 bytes) answers text/plain, which API Gateway never
# does: longer lines reach the functions, whose validators bound every parameter (CONTRACT 400).
MAX_REQUEST_LINE = 64 * 1024
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    rank: tuple[int, int, int, int]


def _compile(route: HttpRoute) -> _CompiledRoute:
    names: list[str] = []
    pattern = ""
    last = 0
    greedy = 0
    for match in _PARAM.finditer(route.path):
        pattern += re.escape(route.path[last : match.start()])
        name = match.group(1)
        if name.endswith("+"):
            greedy += 1
            names.append(name[:-1])
            pattern += "(.+)"
        else:
            names.append(name)
            pattern += "([^/]+)"
        last = match.end()
    pattern += re.escape(route.path[last:])
    literal = len(_PARAM.sub("", route.path))
    rank = (greedy, len(names), -literal, 1 if route.method == "ANY" else 0)
    return _CompiledRoute(route, re.compile(f"^{pattern}$"), tuple(names), rank)


class RouteTable:
    """The HTTP API's routes, matched by API Gateway's precedence."""

    def __init__(self, routes: list[HttpRoute]) -> None:
        self._routes = sorted((_compile(r) for r in routes), key=lambda c: c.rank)

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled.route, dict(zip(compiled.names, found.groups(), strict=True))
        return None


def lambda_response(result: Any) -> web.Response:
    """A format 2.0 Lambda answer as the HTTP response API Gateway would send."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return web.Response(status=200, text=json.dumps(result), content_type="application/json")
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    response = web.Response(status=int(result["statusCode"]), body=raw)
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


def _aws_error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"message": message}, status=status, headers={"apigw-requestid": secrets.token_hex(8)}
    )


class HttpApi:
    """The HTTP API of one template on one aiohttp application."""

    def __init__(
        self,
        routes: list[HttpRoute],
        runtimes: Runtimes,
        ui_dir: Path | None,
        stage_variables: dict[str, str] | None = None,
        authorizers: dict[str, JwtAuthorizerSpec] | None = None,
    ) -> None:
        self.routes = RouteTable(routes)
        self.authorizers = {name: JwtAuthorizer(spec) for name, spec in (authorizers or {}).items()}
        self.stage_variables = stage_variables or {}
        self.runtimes = runtimes
        self.ui_dir = ui_dir
        self.domain_name = "127.0.0.1"
        self.api_id = secrets.token_hex(5)
        self.requests = 0
        self.errors = 0

    def application(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_REQUEST_BYTES, handler_args={"max_line_size": MAX_REQUEST_LINE}
        )
        add_docs_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        matched = self.routes.match(request.method, request.path)
        if matched is None:
            if request.method in ("GET", "HEAD") and not request.path.startswith("/api/"):
                static = self._static(request.path)
                if static is not None:
                    return static
            return _aws_error(404, "Not Found")
        route, params = matched
        self.requests += 1
        authorizer_context: dict[str, Any] | None = None
        if route.authorizer is not None:
            authorizer = self.authorizers[route.authorizer]
            decision = await authorizer.check(
                request.headers.get(authorizer.spec.identity_header), route.scopes
            )
            if isinstance(decision, Refused):
                response = _aws_error(decision.status, decision.message)
                response.headers["www-authenticate"] = decision.www_authenticate
                return response
            authorizer_context = decision.context()
        facts = HttpRequestFacts(
            method=request.method,
            # rawPath keeps the client's percent-encoding, as API Gateway's does; the route
            # and its path parameters were matched on the decoded path.
            path=request.raw_path.split("?", 1)[0],
            raw_query=request.query_string,
            query=list(request.query.items()),
            headers=list(request.headers.items()),
            body=await request.read(),
            source_ip=request.remote or "127.0.0.1",
            domain_name=self.domain_name,
            api_id=self.api_id,
            route_key=route.route_key,
            path_parameters=params,
            stage_variables=self.stage_variables,
            authorizer=authorizer_context,
        )
        try:
            invocation = await self.runtimes.invoke(route.function_id, http_api_event(facts))
        except FunctionTimeout as exc:
            self.errors += 1
            log.warning("%s", exc)
            return _aws_error(503, "Service Unavailable")
        except FunctionError as exc:
            self.errors += 1
            log.warning("%s", exc)
            return _aws_error(500, "Internal Server Error")
        response = lambda_response(invocation.result)
        if response.status >= 500:
            self.errors += 1
        return response

    def _static(self, path: str) -> web.StreamResponse | None:
        """A file of the built UI; any other page path gets index.html (client-side routing)."""
        if self.ui_dir is None or not (self.ui_dir / "index.html").is_file():
            return None
        root = self.ui_dir.resolve()
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return web.FileResponse(candidate)
        if "." in path.rsplit("/", 1)[-1]:
            return None  # a missing asset is a 404, not the app shell
        return web.FileResponse(root / "index.html")
