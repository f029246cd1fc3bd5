"""The events API Gateway hands Lambda, built from local requests with AWS's field names.

Pure functions: a request's facts in, the event dict out. The shapes follow the HTTP API's
payload format 2.0, the WebSocket API's CONNECT/MESSAGE/DISCONNECT events and its REQUEST
authorizer event; ``tests/unit/test_events.py`` holds them against AWS's reference events.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from emulator.intrinsics import ACCOUNT_ID

__all__ = [
    "HttpRequestFacts",
    "WsFacts",
    "aws_request_id",
    "http_api_event",
    "is_text_content",
    "request_time",
    "ws_authorizer_event",
    "ws_connect_event",
    "ws_disconnect_event",
    "ws_message_event",
]

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def aws_request_id() -> str:
    """An id shaped like API Gateway's (``FDmBIG3EoAMEqYA=``)."""
    return base64.b64encode(secrets.token_bytes(11)).decode()


def request_time(epoch_ms: int) -> str:
    """API Gateway's ``requestTime``: ``27/Jan/2025:16:39:47 +0000``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def http_date(epoch_ms: int) -> str:
    return formatdate(epoch_ms / 1000, usegmt=True)


def is_text_content(content_type: str | None) -> bool:
    return content_type is not None and content_type.lower().startswith(_TEXT_TYPES)


def _joined(pairs: Iterable[tuple[str, str]], *, lower: bool) -> dict[str, str]:
    """Repeated names joined by commas, as payload 2.0 does for headers and query strings."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower() if lower else name
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


@dataclass(frozen=True)
class HttpRequestFacts:
    """What an HTTP API event is built from."""

    method: str
    path: str
    raw_query: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    domain_name: str
    api_id: str
    route_key: str
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None
    epoch_ms: int = 0


def http_api_event(facts: HttpRequestFacts) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event."""
    epoch_ms = facts.epoch_ms or int(time.time() * 1000)
    cookies = [
        part.strip()
        for name, value in facts.headers
        if name.lower() == "cookie"
        for part in value.split(";")
        if part.strip()
    ]
    headers = _joined(((n, v) for n, v in facts.headers if n.lower() != "cookie"), lower=True)
    content_type = headers.get("content-type")
    text = is_text_content(content_type)
    if text:
        try:
            body: str | None = facts.body.decode()
        except UnicodeDecodeError:
            text = False
    if not text:
        body = base64.b64encode(facts.body).decode()
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": facts.api_id,
        "domainName": facts.domain_name,
        "domainPrefix": facts.domain_name.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": facts.method,
            "path": facts.path,
            "protocol": "HTTP/1.1",
            "sourceIp": facts.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": aws_request_id(),
        "routeKey": facts.route_key,
        "stage": "$default",
        "time": request_time(epoch_ms),
        "timeEpoch": epoch_ms,
    }
    if facts.authorizer is not None:
        request_context["authorizer"] = facts.authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": facts.route_key,
        "rawPath": facts.path,
        "rawQueryString": facts.raw_query,
        "headers": headers,
        "requestContext": request_context,
        "isBase64Encoded": bool(facts.body) and not text,
    }
    if cookies:
        event["cookies"] = cookies
    if facts.query:
        event["queryStringParameters"] = _joined(facts.query, lower=False)
    if facts.body:
        event["body"] = body
    if facts.path_parameters:
        event["pathParameters"] = facts.path_parameters
    if facts.stage_variables:
        event["stageVariables"] = facts.stage_variables
    return event


@dataclass(frozen=True)
class WsFacts:
    """What every WebSocket event of one connection shares."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    domain_name: str
    stage: str
    api_id: str
    user_agent: str | None = None
    authorizer: Mapping[str, Any] | None = None
    region: str = "us-east-1"


def _ws_context(facts: WsFacts, route_key: str, event_type: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    request_id = aws_request_id()
    identity: dict[str, Any] = {"sourceIp": facts.source_ip}
    if facts.user_agent:
        identity["userAgent"] = facts.user_agent
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": facts.stage,
        "connectedAt": facts.connected_at_ms,
        "requestTimeEpoch": now,
        "identity": identity,
        "requestId": request_id,
        "domainName": facts.domain_name,
        "connectionId": facts.connection_id,
        "apiId": facts.api_id,
    }
    if facts.authorizer is not None:
        context["authorizer"] = dict(facts.authorizer)
    return context


def _handshake_fields(
    headers: list[tuple[str, str]], query: list[tuple[str, str]]
) -> dict[str, Any]:
    # The WebSocket API's events keep the last value of a repeated name in the single-value
    # maps (as REST payload 1.0 does) and every value in the multi-value ones.
    fields: dict[str, Any] = {"headers": dict(headers), "multiValueHeaders": _multi(headers)}
    if query:
        fields["queryStringParameters"] = dict(query)
        fields["multiValueQueryStringParameters"] = _multi(query)
    return fields


def ws_connect_event(
    facts: WsFacts, headers: list[tuple[str, str]], query: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        **_handshake_fields(headers, query),
        "requestContext": _ws_context(facts, "$connect", "CONNECT"),
        "isBase64Encoded": False,
    }


def ws_authorizer_event(
    facts: WsFacts,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    stage_variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The REQUEST authorizer event of a ``$connect``."""
    fields = _handshake_fields(headers, query)
    fields.setdefault("queryStringParameters", {})
    fields.setdefault("multiValueQueryStringParameters", {})
    method_arn = (
        f"arn:aws:execute-api:{facts.region}:{ACCOUNT_ID}:{facts.api_id}/{facts.stage}/$connect"
    )
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        **fields,
        "stageVariables": dict(stage_variables or {}),
        "requestContext": _ws_context(facts, "$connect", "CONNECT"),
    }


def ws_message_event(facts: WsFacts, route_key: str, data: str | bytes) -> dict[str, Any]:
    context = _ws_context(facts, route_key, "MESSAGE")
    context["messageId"] = aws_request_id()
    if isinstance(data, bytes):
        return {
            "requestContext": context,
            "body": base64.b64encode(data).decode(),
            "isBase64Encoded": True,
        }
    return {"requestContext": context, "body": data, "isBase64Encoded": False}


def ws_disconnect_event(
    facts: WsFacts, status_code: int, reason: str, headers: list[tuple[str, str]]
) -> dict[str, Any]:
    context = _ws_context(facts, "$disconnect", "DISCONNECT")
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        **_handshake_fields(headers, []),
        "requestContext": context,
        "isBase64Encoded": False,
    }
