"""The events the emulator builds carry every field AWS's reference events carry.

The references are Powertools' published fixtures, read in place from ``../shared/events``. Each
built event is made from the reference's own values, so that the data-named keys (header names,
query names, claims) line up and the values can be compared too.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from emulator.events import (
    HttpRequestFacts,
    WsFacts,
    aws_request_id,
    http_api_event,
    http_date,
    is_text_content,
    request_time,
    ws_authorizer_event,
    ws_connect_event,
    ws_disconnect_event,
    ws_message_event,
)
from emulator.intrinsics import ACCOUNT_ID
from tests.eventshape import at, dotted, key_paths, reference

#: API Gateway's request ids are 16 base64 characters, padded (``FDmBIG3EoAMEqYA=``).
REQUEST_ID = re.compile(r"^[A-Za-z0-9+/]{14,15}={1,2}$")
AWS_REQUEST_ID = re.compile(r"^[A-Za-z0-9+/]{15}=$")
REQUEST_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")
#: Mutual TLS is not emulated, so the HTTP event never carries the client certificate.
NOT_EMULATED = ("requestContext", "authentication")


def _kind(value: Any) -> str:
    """The JSON kind of a value (ints and floats are both numbers; bools are not)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(built: dict[str, Any], ref: dict[str, Any], allowed_missing=frozenset()) -> None:
    """Every key path of ``ref`` is in ``built``, holding a value of the same JSON kind."""
    ref_paths = key_paths(ref)
    built_paths = key_paths(built)
    missing = ref_paths - built_paths - allowed_missing
    assert not missing, f"missing from the built event: {dotted(missing)}"
    kinds = {
        ".".join(path): (_kind(at(ref, path)), _kind(at(built, path)))
        for path in ref_paths & built_paths
    }
    wrong = {path: pair for path, pair in kinds.items() if pair[0] != pair[1]}
    assert not wrong, f"(reference kind, built kind) differ: {wrong}"


def _pairs(multi: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in multi.items() for value in values]


def _ws_facts(ref: dict[str, Any], **overrides: Any) -> WsFacts:
    context = ref["requestContext"]
    fields: dict[str, Any] = {
        "connection_id": context["connectionId"],
        "connected_at_ms": context["connectedAt"],
        "source_ip": context["identity"]["sourceIp"],
        "domain_name": context["domainName"],
        "stage": context["stage"],
        "api_id": context["apiId"],
    }
    fields.update(overrides)
    return WsFacts(**fields)


# ---------------------------------------------------------------- HTTP API payload 2.0
HTTP_REF = "http-api-v2.json"


def _full_http_facts(ref: dict[str, Any]) -> HttpRequestFacts:
    """A request that exercises every conditional field of the payload."""
    context = ref["requestContext"]
    return HttpRequestFacts(
        method=context["http"]["method"],
        path=ref["rawPath"],
        raw_query=ref["rawQueryString"],
        query=[("parameter1", "value1"), ("parameter1", "value2"), ("parameter2", "value")],
        headers=[
            ("Header1", "value1"),
            ("header2", "value1"),
            ("HEADER2", "value2"),
            ("Cookie", "cookie1; cookie2"),
            ("Content-Type", "application/json"),
            ("User-Agent", context["http"]["userAgent"]),
        ],
        body=ref["body"].encode(),
        source_ip=context["http"]["sourceIp"],
        domain_name=context["domainName"],
        api_id=context["apiId"],
        route_key=ref["routeKey"],
        path_parameters=dict(ref["pathParameters"]),
        stage_variables=dict(ref["stageVariables"]),
        authorizer={"jwt": {"claims": {"claim1": "value1", "claim2": "value2"}, "scopes": ["s"]}},
        epoch_ms=context["timeEpoch"],
    )


def test_http_event_has_every_reference_field_but_mutual_tls() -> None:
    ref = reference(HTTP_REF)
    built = http_api_event(_full_http_facts(ref))

    missing = key_paths(ref) - key_paths(built)
    mtls = {path for path in key_paths(ref) if path[: len(NOT_EMULATED)] == NOT_EMULATED}
    assert NOT_EMULATED in mtls
    assert missing == mtls, f"unexpectedly missing: {dotted(missing - mtls)}"
    assert_shape(built, ref, allowed_missing=frozenset(mtls))


def test_http_event_values_follow_payload_2() -> None:
    ref = reference(HTTP_REF)
    facts = _full_http_facts(ref)
    built = http_api_event(facts)
    context = built["requestContext"]

    assert built["version"] == "2.0"
    assert built["routeKey"] == context["routeKey"] == ref["routeKey"]
    assert built["rawPath"] == ref["rawPath"]
    assert built["rawQueryString"] == ref["rawQueryString"]
    assert built["cookies"] == ref["cookies"]
    # Lower-cased names, repeated names joined by commas; the cookie header moves to `cookies`.
    assert built["headers"] == {
        **ref["headers"],
        "content-type": "application/json",
        "user-agent": "agent",
    }
    assert built["queryStringParameters"] == ref["queryStringParameters"]
    assert built["pathParameters"] == ref["pathParameters"]
    assert built["stageVariables"] == ref["stageVariables"]
    assert built["body"] == ref["body"]
    assert built["isBase64Encoded"] is False
    assert context["authorizer"] == facts.authorizer
    assert context["http"] == ref["requestContext"]["http"]
    assert context["domainName"] == ref["requestContext"]["domainName"]
    assert context["domainPrefix"] == ref["requestContext"]["domainPrefix"]
    assert context["stage"] == "$default"
    assert context["accountId"] == ACCOUNT_ID
    assert context["timeEpoch"] == facts.epoch_ms
    assert context["time"] == request_time(facts.epoch_ms)
    assert REQUEST_ID.match(context["requestId"])


def test_http_event_omits_what_the_request_does_not_have() -> None:
    facts = HttpRequestFacts(
        method="GET",
        path="/api/v1/health",
        raw_query="",
        query=[],
        headers=[("Host", "127.0.0.1:3000")],
        body=b"",
        source_ip="127.0.0.1",
        domain_name="127.0.0.1:3000",
        api_id="local",
        route_key="GET /api/v1/health",
    )
    built = http_api_event(facts)

    for absent in ("cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"):
        assert absent not in built
    assert "authorizer" not in built["requestContext"]
    assert built["rawQueryString"] == ""
    assert built["headers"] == {"host": "127.0.0.1:3000"}
    assert built["requestContext"]["domainPrefix"] == "127"
    assert built["requestContext"]["http"]["userAgent"] == ""
    assert REQUEST_TIME.match(built["requestContext"]["time"])


def test_http_event_without_body_is_not_base64() -> None:
    facts = HttpRequestFacts(
        method="GET",
        path="/",
        raw_query="",
        query=[],
        headers=[],
        body=b"",
        source_ip="127.0.0.1",
        domain_name="localhost",
        api_id="local",
        route_key="GET /",
    )
    assert http_api_event(facts)["isBase64Encoded"] is False


def _body_facts(content_type: str | None, body: bytes) -> HttpRequestFacts:
    headers = [("Content-Type", content_type)] if content_type else []
    return HttpRequestFacts(
        method="POST",
        path="/upload",
        raw_query="",
        query=[],
        headers=headers,
        body=body,
        source_ip="127.0.0.1",
        domain_name="localhost",
        api_id="local",
        route_key="POST /upload",
        epoch_ms=1,
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/octet-stream", bytes(range(256))),
        ("image/png", b"\x89PNG\r\n\x1a\n"),
        (None, b"no content type"),
        # A text type whose bytes are not UTF-8 is still passed through intact.
        ("text/plain", b"\xff\xfe\xfd"),
    ],
)
def test_http_binary_body_is_base64(content_type: str | None, body: bytes) -> None:
    built = http_api_event(_body_facts(content_type, body))

    assert built["isBase64Encoded"] is True
    assert base64.b64decode(built["body"]) == body


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON; charset=utf-8", "text/html", "application/xml"],
)
def test_http_text_body_is_passed_as_text(content_type: str) -> None:
    built = http_api_event(_body_facts(content_type, '{"name": "été"}'.encode()))

    assert built["isBase64Encoded"] is False
    assert built["body"] == '{"name": "été"}'


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/plain", True),
        ("TEXT/CSV", True),
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/xml", True),
        ("application/javascript", True),
        ("application/octet-stream", False),
        ("image/png", False),
        ("multipart/form-data; boundary=x", False),
        ("", False),
        (None, False),
    ],
)
def test_is_text_content(content_type: str | None, text: bool) -> None:
    assert is_text_content(content_type) is text


# ---------------------------------------------------------------- times and ids
@pytest.mark.parametrize(
    ("epoch_ms", "expected"),
    [
        (0, "01/Jan/1970:00:00:00 +0000"),
        (1737995987617, "27/Jan/2025:16:39:47 +0000"),
        (1731324924561, "11/Nov/2024:11:35:24 +0000"),
        (1709251199999, "29/Feb/2024:23:59:59 +0000"),
    ],
)
def test_request_time_format(epoch_ms: int, expected: str) -> None:
    assert request_time(epoch_ms) == expected


@pytest.mark.parametrize(
    "name",
    ["websocket-authorizer-request.json", "websocket-connect.json", "websocket-message.json"],
)
def test_request_time_matches_the_references(name: str) -> None:
    context = reference(name)["requestContext"]
    assert request_time(context["requestTimeEpoch"]) == context["requestTime"]


def test_http_date() -> None:
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_aws_request_ids_are_request_id_shaped_and_unique() -> None:
    ids = [aws_request_id() for _ in range(200)]
    assert all(len(value) == 16 and REQUEST_ID.match(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_aws_request_ids_end_with_one_pad_like_api_gateways() -> None:
    assert AWS_REQUEST_ID.match(aws_request_id())


# ---------------------------------------------------------------- WebSocket API
def _assert_ws_context(built: dict[str, Any], ref: dict[str, Any]) -> None:
    """The connection's facts are carried over; the per-request fields are well formed."""
    context, ref_context = built["requestContext"], ref["requestContext"]
    for name in (
        "routeKey",
        "eventType",
        "messageDirection",
        "stage",
        "connectedAt",
        "domainName",
        "connectionId",
        "apiId",
        "identity",
    ):
        assert context[name] == ref_context[name], name
    assert context["requestId"] == context["extendedRequestId"]
    assert REQUEST_ID.match(context["requestId"])
    assert context["requestTime"] == request_time(context["requestTimeEpoch"])
    assert context["requestTimeEpoch"] >= context["connectedAt"]


def test_ws_connect_event_matches_reference() -> None:
    ref = reference("websocket-connect.json")
    headers = _pairs(ref["multiValueHeaders"])
    built = ws_connect_event(_ws_facts(ref), headers, [])

    assert_shape(built, ref)
    _assert_ws_context(built, ref)
    assert built["headers"] == ref["headers"]
    assert built["multiValueHeaders"] == ref["multiValueHeaders"]
    assert built["isBase64Encoded"] is False
    assert "queryStringParameters" not in built


def test_ws_connect_event_query_string() -> None:
    ref = reference("websocket-connect.json")
    query = [("token", "abc"), ("v", "1"), ("v", "2")]
    built = ws_connect_event(_ws_facts(ref), [], query)

    assert built["queryStringParameters"]["token"] == "abc"
    assert built["multiValueQueryStringParameters"] == {"token": ["abc"], "v": ["1", "2"]}


def test_ws_message_event_matches_reference() -> None:
    ref = reference("websocket-message.json")
    built = ws_message_event(_ws_facts(ref), "chat", ref["body"])

    assert_shape(built, ref)
    _assert_ws_context(built, ref)
    assert built["body"] == ref["body"]
    assert built["isBase64Encoded"] is False
    assert REQUEST_ID.match(built["requestContext"]["messageId"])


def test_ws_binary_message_is_base64() -> None:
    ref = reference("websocket-message.json")
    data = b"\x00\x01\xfe\xff"
    built = ws_message_event(_ws_facts(ref), "$default", data)

    assert built["isBase64Encoded"] is True
    assert base64.b64decode(built["body"]) == data
    assert built["requestContext"]["routeKey"] == "$default"


def test_ws_disconnect_event_matches_reference() -> None:
    ref = reference("websocket-disconnect.json")
    context = ref["requestContext"]
    built = ws_disconnect_event(
        _ws_facts(ref),
        context["disconnectStatusCode"],
        context["disconnectReason"],
        _pairs(ref["multiValueHeaders"]),
    )

    assert_shape(built, ref)
    _assert_ws_context(built, ref)
    assert built["requestContext"]["disconnectStatusCode"] == 1005
    assert built["requestContext"]["disconnectReason"] == context["disconnectReason"]
    assert built["headers"] == ref["headers"]
    assert built["multiValueHeaders"] == ref["multiValueHeaders"]


def test_ws_authorizer_event_matches_reference() -> None:
    ref = reference("websocket-authorizer-request.json")
    built = ws_authorizer_event(_ws_facts(ref), _pairs(ref["multiValueHeaders"]), [])

    assert_shape(built, ref)
    _assert_ws_context(built, ref)
    assert built["type"] == "REQUEST"
    assert built["methodArn"] == ref["methodArn"].replace("533568316194", ACCOUNT_ID)
    assert built["multiValueHeaders"] == ref["multiValueHeaders"]
    # The reference's `headers` lacks one header its `multiValueHeaders` has; all others match.
    assert ref["headers"].items() <= built["headers"].items()
    assert built["queryStringParameters"] == {}
    assert built["multiValueQueryStringParameters"] == {}
    assert built["stageVariables"] == {}


def test_ws_authorizer_event_passes_query_and_stage_variables() -> None:
    ref = reference("websocket-authorizer-request.json")
    built = ws_authorizer_event(
        _ws_facts(ref), [], [("token", "t0k")], stage_variables={"env": "local"}
    )

    assert built["queryStringParameters"] == {"token": "t0k"}
    assert built["multiValueQueryStringParameters"] == {"token": ["t0k"]}
    assert built["stageVariables"] == {"env": "local"}


@pytest.mark.parametrize(
    ("user_agent", "identity"),
    [
        (None, {"sourceIp": "10.0.0.1"}),
        ("wscat/6", {"sourceIp": "10.0.0.1", "userAgent": "wscat/6"}),
    ],
)
def test_ws_identity_carries_the_user_agent_when_known(
    user_agent: str | None, identity: dict[str, str]
) -> None:
    ref = reference("websocket-message.json")
    facts = _ws_facts(ref, source_ip="10.0.0.1", user_agent=user_agent)
    assert ws_message_event(facts, "$default", "{}")["requestContext"]["identity"] == identity


def test_ws_authorizer_context_reaches_later_events() -> None:
    ref = reference("websocket-message.json")
    authorizer = {"principalId": "user-1", "user_id": "42"}
    facts = _ws_facts(ref, authorizer=authorizer)

    built = ws_message_event(facts, "$default", "{}")
    assert built["requestContext"]["authorizer"] == authorizer
    # A copy: the handler cannot change what the next event carries.
    built["requestContext"]["authorizer"]["user_id"] = "changed"
    assert ws_message_event(facts, "$default", "{}")["requestContext"]["authorizer"] == authorizer
    assert "authorizer" not in ws_message_event(_ws_facts(ref), "$default", "{}")["requestContext"]
