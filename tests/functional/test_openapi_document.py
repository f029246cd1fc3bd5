"""The OpenAPI document (GET /api/v1/openapi.json): valid OpenAPI 3, and every route in it.

Both sides are derived from the code, so a route added later is checked without being listed:
the routes every REST function's resolver registers (the functions template.yaml names), and
the HTTP API routes of template.yaml itself.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from openapi_spec_validator import validate

from shared.http import ParleyResolver
from tests.functional.apigw import request, template

pytestmark = pytest.mark.usefixtures("store")

PREFIX = "/api/v1"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _document() -> dict[str, Any]:
    reply = request("GET", "/openapi.json", user=None)
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = reply.body
    return document


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _resolver_routes() -> set[tuple[str, str]]:
    """Every route the resolvers of template.yaml's REST functions register."""
    found: set[tuple[str, str]] = set()
    handlers = {route.function_id for route in template().http_routes}
    for function_id in handlers:
        module = importlib.import_module(template().functions[function_id].module)
        app = module.app
        assert isinstance(app, ParleyResolver), function_id
        for route in app._static_routes + app._dynamic_routes:
            found.add((route.method.upper(), route.openapi_path))
    return found


def _template_routes() -> dict[tuple[str, str], bool]:
    """template.yaml's HTTP API routes (under the prefix), and whether each is public."""
    return {
        (route.method, route.path.removeprefix(PREFIX)): route.authorizer is None
        for route in template().http_routes
        if route.path.startswith(PREFIX + "/")
    }


def test_the_document_is_valid_openapi_3() -> None:
    document = _document()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_of_every_function_and_of_the_template_is_in_the_document() -> None:
    documented = set(_operations(_document()))
    assert documented == _resolver_routes()
    assert documented == set(_template_routes())


def test_public_routes_need_no_token_and_the_rest_a_bearer_token() -> None:
    document = _document()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    public = {key for key, is_public in _template_routes().items() if is_public}
    assert ("GET", "/openapi.json") in public
    for key, operation in _operations(document).items():
        if key in public:
            assert "security" not in operation, key
        else:
            assert operation["security"] == [{"bearerAuth": []}], key


def test_every_operation_describes_its_errors_in_the_contract_shape() -> None:
    document = _document()
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    for key, operation in _operations(document).items():
        responses = operation["responses"]
        assert "422" not in responses, key  # Parley answers 400, never Powertools' 422
        for status in ("400", "404", "429"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (key, status)
        assert any(code.startswith("2") or code == "302" for code in responses), key


def test_success_statuses_are_the_ones_answered() -> None:
    operations = _operations(_document())
    assert "201" in operations[("POST", "/guilds")]["responses"]
    assert "204" in operations[("DELETE", "/guilds/{guild_id}")]["responses"]
    assert "content" not in operations[("DELETE", "/guilds/{guild_id}")]["responses"]["204"]
    assert "201" in operations[("POST", "/auth/register")]["responses"]


#: Success answers whose body is not one of the API's objects: the document itself.
_UNMODELLED = {("GET", "/openapi.json")}


def _is_modelled(schema: dict[str, Any]) -> bool:
    """A schema that names a component or lists properties (an array: of such items)."""
    if schema.get("type") == "array":
        return _is_modelled(schema.get("items", {}))
    return "$ref" in schema or bool(schema.get("properties"))


def test_every_success_answer_with_a_body_has_a_response_model() -> None:
    generic = []
    for key, operation in _operations(_document()).items():
        if key in _UNMODELLED:
            continue
        for status in ("200", "201"):
            answer = operation["responses"].get(status)
            if answer is None:
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if not _is_modelled(schema):
                generic.append((*key, status))
    assert generic == []
