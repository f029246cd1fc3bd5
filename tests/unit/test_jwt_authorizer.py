"""The emulator's HTTP API JWT authorizer, decided without sockets."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest

from emulator.jwt_authorizer import Allowed, Refused, authorize, bearer_token, flatten_claims
from emulator.template import JwtAuthorizerSpec, TemplateError, load_template
from shared.auth.keyring import KeyRing
from shared.auth.tokens import issue_access_token

ISS = "http://127.0.0.1:3000/api/v1"
SPEC = JwtAuthorizerSpec(name="ParleyJwt", issuer=ISS, audience=("parley",))
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.from_json(KeyRing.new_set_json())


@pytest.fixture(scope="module")
def jwks(ring: KeyRing) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_dict(ring.jwks())


def token(
    ring: KeyRing, issuer: str = ISS, audience: str = "parley", now: float | None = None
) -> str:
    return issue_access_token(
        ring, user_id=99, issuer=issuer, audience=audience, ttl_s=300, now=now
    ).token


def test_valid_token_gives_string_claims_and_scopes(ring: KeyRing, jwks: jwt.PyJWKSet) -> None:
    decision = authorize(SPEC, token(ring), jwks)
    assert isinstance(decision, Allowed)
    assert decision.claims["sub"] == "99"
    assert isinstance(decision.claims["exp"], str) and decision.claims["exp"].isdigit()
    assert decision.scopes == ["parley"]
    assert decision.context()["jwt"]["claims"]["iss"] == ISS


def test_missing_token_is_401_unauthorized(jwks: jwt.PyJWKSet) -> None:
    decision = authorize(SPEC, None, jwks)
    assert isinstance(decision, Refused)
    assert (decision.status, decision.message) == (401, "Unauthorized")


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"now": time.time() - 3600}, "expired"),
        ({"audience": "someone-else"}, "audience"),
        ({"issuer": "http://evil.example/api/v1"}, "issuer"),
    ],
)
def test_bad_claims_are_401(ring: KeyRing, jwks: jwt.PyJWKSet, kw: dict, why: str) -> None:
    decision = authorize(SPEC, token(ring, **kw), jwks)
    assert isinstance(decision, Refused) and decision.status == 401
    assert why in decision.www_authenticate
    assert 'error="invalid_token"' in decision.www_authenticate


def test_tampered_signature_and_alg_none_are_401(ring: KeyRing, jwks: jwt.PyJWKSet) -> None:
    head, payload, sig = token(ring).split(".")
    flipped = sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")
    assert isinstance(authorize(SPEC, f"{head}.{payload}.{flipped}", jwks), Refused)
    none_head = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    assert isinstance(authorize(SPEC, f"{none_head.decode()}.{payload}.", jwks), Refused)
    assert isinstance(authorize(SPEC, "not-a-jwt", jwks), Refused)


def test_unknown_key_and_unreachable_jwks_are_401(ring: KeyRing, jwks: jwt.PyJWKSet) -> None:
    stranger = KeyRing.from_json(KeyRing.new_set_json())
    assert isinstance(authorize(SPEC, token(stranger), jwks), Refused)
    assert isinstance(authorize(SPEC, token(ring), None), Refused)


def test_route_scopes_missing_is_403(ring: KeyRing, jwks: jwt.PyJWKSet) -> None:
    decision = authorize(SPEC, token(ring), jwks, route_scopes=("admin",))
    assert isinstance(decision, Refused) and decision.status == 403
    assert isinstance(authorize(SPEC, token(ring), jwks, route_scopes=("parley",)), Allowed)


def test_bearer_prefix_and_claim_flattening() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("abc") == "abc"
    assert bearer_token("") is None
    flat = flatten_claims({"aud": ["a", "b"], "n": 5, "ok": True, "o": {"x": 1}})
    assert flat == {"aud": "[a b]", "n": "5", "ok": "true", "o": '{"x":1}'}


def test_template_routes_get_the_default_authorizer_unless_none() -> None:
    template = load_template(REPO / "template.yaml", parameters={"ApiBaseUrl": "http://h:1"})
    spec = template.http_authorizers["ParleyJwt"]
    assert spec.issuer == "http://h:1/api/v1" and spec.audience == ("parley",)
    by_key = {r.route_key: r.authorizer for r in template.http_routes}
    assert by_key["GET /api/v1/users/@me"] == "ParleyJwt"
    assert by_key["GET /api/v1/health"] is None
    assert by_key["POST /api/v1/auth/login"] is None


def test_an_undeclared_authorizer_is_a_template_error(tmp_path: Path) -> None:
    text = (
        (REPO / "template.yaml")
        .read_text()
        .replace("Auth: { Authorizer: ParleyJwt }", "Auth: { Authorizer: Nope }", 1)
    )
    path = tmp_path / "template.yaml"
    path.write_text(text)
    with pytest.raises(TemplateError, match="Nope"):
        load_template(path)


def test_authorizer_context_has_the_shape_aws_hands_the_function(
    ring: KeyRing, jwks: jwt.PyJWKSet
) -> None:
    from emulator.events import HttpRequestFacts, http_api_event
    from tests.eventshape import missing_paths

    decision = authorize(SPEC, token(ring), jwks)
    assert isinstance(decision, Allowed)
    event = http_api_event(
        HttpRequestFacts(
            method="GET",
            path="/api/v1/users/@me",
            raw_query="",
            query=[],
            headers=[("authorization", "Bearer x")],
            body=b"",
            source_ip="127.0.0.1",
            domain_name="127.0.0.1:3000",
            api_id="local",
            route_key="GET /api/v1/users/@me",
            authorizer=decision.context(),
        )
    )
    missing = missing_paths(event, "http-api-v2.json")
    assert not {p for p in missing if p.startswith("requestContext.authorizer")}
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "99"
