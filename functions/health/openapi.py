"""The OpenAPI 3 document of the REST API, generated from the handlers of every REST function.

Every function's artifact holds all of ``functions/`` and ``shared/``, so the health function
builds the document from the other areas' resolvers when it is first asked for (their imports
stay out of its cold start). The areas are found, not listed: every ``functions/<area>/app.py``
whose resolver comes from :func:`shared.http.make_resolver`. A route's security follows its
resolver (``make_resolver(public=True)``: no token) unless the route declares
``shared.http.NEEDS_TOKEN``; its errors are the CONTRACT error shape.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import (
    HTTPBearer,
    Server,
)

import functions
from shared.config import get_settings
from shared.http import API_PREFIX, BEARER, ParleyResolver, make_resolver

__all__ = ["BEARER", "area_resolvers", "openapi_document"]

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"type": "object"},
    },
}
#: API Gateway's own answer, before any function runs (its JWT authorizer's 401).
_GATEWAY_ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
}
_ERROR_TEXT = {
    400: "The request is not valid (the CONTRACT error shape, `errors` per field).",
    401: "No valid access token (from API Gateway's authorizer: only `message`).",
    403: "The caller may not do this.",
    404: "No such resource (or route).",
    409: "Conflicts with the current state.",
    413: "The request body is too large.",
    429: "Rate limited: wait `Retry-After` seconds.",
    503: "The store (or a media node) cannot be reached now.",
}
_PUBLIC_ERRORS = (400, 401, 404, 409, 429, 503)
_PROTECTED_ERRORS = (400, 401, 403, 404, 409, 413, 429, 503)


def area_resolvers() -> dict[str, ParleyResolver]:
    """Each REST area's resolver, by area name (the folders of ``functions/``)."""
    found: dict[str, ParleyResolver] = {}
    for area in pkgutil.iter_modules(functions.__path__):
        if not area.ispkg:
            continue
        spec = importlib.util.find_spec(f"functions.{area.name}.app")
        if spec is None or spec.origin is None:
            continue
        with open(spec.origin, encoding="utf-8") as source:
            if "make_resolver(" not in source.read():
                continue  # a stream, scheduled or custom resource function: no routes
        app = getattr(importlib.import_module(f"functions.{area.name}.app"), "app", None)
        if isinstance(app, ParleyResolver):
            found[area.name] = app
    return found


def _describe(operation: dict[str, Any], public: bool) -> None:
    """A generated operation made true to what the API answers."""
    responses: dict[str, Any] = operation["responses"]
    # Powertools' validation answer is a 422; Parley's is the CONTRACT's 400 (shared.http).
    responses.pop("422", None)
    for empty in ("204", "302"):  # no content; a redirect's answer is its Location
        responses.get(empty, {}).pop("content", None)
    for error in _PUBLIC_ERRORS if public else _PROTECTED_ERRORS:
        shape = "GatewayError" if error == 401 else "Error"
        responses.setdefault(
            str(error),
            {
                "description": _ERROR_TEXT[error],
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{shape}"}}
                },
            },
        )
    if not public:
        operation["security"] = [{BEARER: []}]


@cache
def openapi_document() -> dict[str, Any]:
    """The document (built once per container: the routes do not change while it runs)."""
    document = make_resolver()
    public_routes = set()
    for app in area_resolvers().values():
        document._static_routes += [copy.copy(route) for route in app._static_routes]
        document._dynamic_routes += [copy.copy(route) for route in app._dynamic_routes]
        if app.public:
            for route in app._static_routes + app._dynamic_routes:
                public_routes.add((route.method.upper(), route.openapi_path))
    schema = document.get_openapi_schema(
        title="Parley",
        version=get_settings().version,
        description="The REST API of Parley (CONTRACT.md). Ids are decimal strings.",
        servers=[Server(url=API_PREFIX)],
        security_schemes={BEARER: HTTPBearer(bearerFormat="JWT")},
    )
    output: dict[str, Any] = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path, item in output["paths"].items():
        for method, operation in item.items():
            public = (method.upper(), path) in public_routes and "security" not in operation
            _describe(operation, public)
    components = output.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = _ERROR
    schemas["GatewayError"] = _GATEWAY_ERROR
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    return output
