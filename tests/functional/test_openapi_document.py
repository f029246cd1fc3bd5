"""The OpenAPI document (GET /api/v1/openapi.json): valid OpenAPI 3, and every route in it.

Both sides are derived from the code, so a route added later is checked without being listed:
the routes every REST function's resolver registers (the functions template.yaml names), and
the HTTP API routes of template.yaml itself.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from shared.http import ParleyResolver
from tests.functional.apigw import Reply, request, template
from tests.functional.guildkit import StreamTap, join, new_user, text_channel

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


def test_redirects_and_empty_answers_document_no_body() -> None:
    """A 302 (an emoji's image, a provider's sign-in) and a 204 carry no body, so the document
    names no media type for them: a client (or the fuzzer) expects none."""
    redirects = 0
    for key, operation in _operations(_document()).items():
        for status in ("204", "302"):
            answer = operation["responses"].get(status)
            if answer is not None:
                assert "content" not in answer, (key, status)
                redirects += status == "302"
    assert redirects >= 3  # the emoji image and the two provider routes


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


def conforms(method: str, path: str, reply: Reply) -> None:
    """``reply`` is what the served document says ``method path`` answers with its status."""
    document = _document()
    answer = _operations(document)[(method, path)]["responses"][str(reply.status)]
    schema = answer["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(reply.body)]
    assert problems == [], (method, path, problems)


def test_answers_the_fuzzer_rarely_reaches_match_their_models() -> None:
    """Replies, reactions, bans, audit entries with changes, invites and voice channels, which
    the fuzzed seed does not hold, against the models the document names for them."""
    tap = StreamTap()
    owner, member = new_user(), new_user()
    created = request("POST", "/guilds", user=owner, body={"name": "Modelled"})
    conforms("POST", "/guilds", created)
    guild = created.body
    gid, channel = guild["id"], text_channel(guild)
    first = request("POST", f"/channels/{channel}/messages", user=owner, body={"content": "hi"})
    mid = first.body["id"]
    react = f"/channels/{channel}/messages/{mid}/reactions/%F0%9F%91%8D/@me"
    assert request("PUT", react, user=owner).status == 204
    reply = {"content": "about that", "reply_to": mid}
    answer = request("POST", f"/channels/{channel}/messages", user=owner, body=reply)
    conforms("POST", "/channels/{channel_id}/messages", answer)
    history = request("GET", f"/channels/{channel}/messages", user=owner)
    assert {m["type"] for m in history.body} == {0, 19} and history.body[1]["reactions"]
    conforms("GET", "/channels/{channel_id}/messages", history)
    code = request("POST", f"/channels/{channel}/invites", user=owner, body={"max_age": 60})
    conforms("POST", "/channels/{channel_id}/invites", code)
    looked_up = request("GET", f"/invites/{code.body['code']}", user=member)
    conforms("GET", "/invites/{code}", looked_up)
    join(guild, member)
    edited = {"nick": "nick", "communication_disabled_until": "2999-01-01T00:00:00Z"}
    changed = request("PATCH", f"/guilds/{gid}/members/{member}", user=owner, body=edited)
    conforms("PATCH", "/guilds/{guild_id}/members/{user_id}", changed)
    renamed = request("PATCH", f"/guilds/{gid}", user=owner, body={"name": "Renamed"})
    conforms("PATCH", "/guilds/{guild_id}", renamed)
    ban = {"reason": "spam"}
    assert request("PUT", f"/guilds/{gid}/bans/{member}", user=owner, body=ban).status == 204
    bans = request("GET", f"/guilds/{gid}/bans", user=owner)
    conforms("GET", "/guilds/{guild_id}/bans", bans)
    tap.pump()
    log = request("GET", f"/guilds/{gid}/audit-log", user=owner)
    assert any(entry["changes"] for entry in log.body["audit_log_entries"])
    conforms("GET", "/guilds/{guild_id}/audit-log", log)
    channels = request("GET", f"/guilds/{gid}/channels", user=owner)
    assert {c["type"] for c in channels.body} >= {0, 2}
    conforms("GET", "/guilds/{guild_id}/channels", channels)
