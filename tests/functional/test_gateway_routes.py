"""The WebSocket route functions, replayed from recorded events; replies land in moto's
@connections API."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.gateway.storage import sessions
from tests.eventshape import dotted, key_paths, reference
from tests.functional.conftest import FakeLambdaContext, load_event, posted_to
from websocket_routes.connect.app import lambda_handler as connect
from websocket_routes.default.app import lambda_handler as default
from websocket_routes.disconnect.app import lambda_handler as disconnect

HEARTBEAT = load_event("ws-heartbeat.json")
CONNECTION_ID = HEARTBEAT["requestContext"]["connectionId"]


def _frames(connection_id: str = CONNECTION_ID) -> list[dict[str, Any]]:
    """The frames posted to a connection (compact JSON, one after the other)."""
    text = posted_to(connection_id).decode()
    decoder = json.JSONDecoder()
    frames, index = [], 0
    while index < len(text):
        frame, index = decoder.raw_decode(text, index)
        frames.append(frame)
    return frames


def test_heartbeat_is_acknowledged_through_connections(
    lambda_context: FakeLambdaContext,
) -> None:
    result = default(load_event("ws-heartbeat.json"), lambda_context)

    assert result == {"statusCode": 200}
    assert posted_to(CONNECTION_ID) == b'{"op":11,"d":null,"s":null,"t":null}'


def test_each_heartbeat_gets_its_own_ack(lambda_context: FakeLambdaContext) -> None:
    for _ in range(3):
        default(load_event("ws-heartbeat.json"), lambda_context)
    assert [frame["op"] for frame in _frames()] == [11, 11, 11]


def test_the_ack_goes_to_the_sender_only(lambda_context: FakeLambdaContext) -> None:
    other = load_event("ws-heartbeat.json")
    other["requestContext"]["connectionId"] = "GyRk1fBPIAMCLuA="
    default(other, lambda_context)

    assert _frames("GyRk1fBPIAMCLuA=") == [{"op": 11, "d": None, "s": None, "t": None}]
    assert posted_to(CONNECTION_ID) == b""


def test_binary_heartbeat(lambda_context: FakeLambdaContext) -> None:
    event = load_event(
        "ws-heartbeat.json",
        body=base64.b64encode(b'{"op":1,"d":12}').decode(),
        isBase64Encoded=True,
    )
    default(event, lambda_context)
    assert [frame["op"] for frame in _frames()] == [11]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("this is not json", "decode_error"),
        ('{"op":1', "decode_error"),
        ("[1,2,3]", "decode_error"),
        ("", "decode_error"),
        ('{"op":42,"d":null}', "unknown_op"),
        ('{"op":"1","d":null}', "unknown_op"),
        ('{"op":11,"d":null}', "unknown_op"),
        ('{"d":null}', "unknown_op"),
    ],
)
def test_bad_frames_get_an_error_frame(
    lambda_context: FakeLambdaContext, body: str, code: str
) -> None:
    result = default(load_event("ws-heartbeat.json", body=body), lambda_context)

    assert result == {"statusCode": 200}
    (frame,) = _frames()
    assert frame["op"] == 12
    assert frame["d"]["code"] == code
    assert frame["d"]["status"] == 400
    assert isinstance(frame["d"]["message"], str) and frame["d"]["message"]
    assert (frame["s"], frame["t"]) == (None, None)


@pytest.mark.usefixtures("table")
def test_connect_records_the_authorized_users_connection(
    lambda_context: FakeLambdaContext,
) -> None:
    event = load_event("ws-connect.json")
    event["requestContext"]["authorizer"] = {"principalId": "42", "user_id": "42"}
    assert connect(event, lambda_context) == {"statusCode": 200}
    recorded = sessions.get_connection(event["requestContext"]["connectionId"])
    assert recorded is not None
    assert recorded.user_id == 42


def test_connect_without_an_authorized_user_is_refused(lambda_context: FakeLambdaContext) -> None:
    assert connect(load_event("ws-connect.json"), lambda_context) == {"statusCode": 401}


def test_disconnect_answers(lambda_context: FakeLambdaContext) -> None:
    assert disconnect(load_event("ws-disconnect.json"), lambda_context) == {"statusCode": 200}


@pytest.mark.parametrize(
    ("recorded", "shared", "not_recorded"),
    [
        ("ws-heartbeat.json", "websocket-message.json", set()),
        ("ws-connect.json", "websocket-connect.json", set()),
        ("ws-disconnect.json", "websocket-disconnect.json", set()),
        # A GET has no body, cookies, query or parameters; mutual TLS and JWT are not in use.
        (
            "health-get.json",
            "http-api-v2.json",
            {
                "body",
                "cookies",
                "queryStringParameters",
                "pathParameters",
                "stageVariables",
                "requestContext.authentication",
                "requestContext.authorizer",
            },
        ),
    ],
)
def test_recorded_events_are_shaped_like_aws(
    recorded: str, shared: str, not_recorded: set[str]
) -> None:
    ref_paths = key_paths(reference(shared))
    # Names that are data (header names, query names) are the sender's, not the shape's.
    data = ("headers", "multiValueHeaders", "queryStringParameters", "pathParameters")
    shape = {
        path
        for path in ref_paths
        if not (len(path) > 1 and path[0] in data)
        and not any(".".join(path).startswith(prefix) for prefix in not_recorded)
    }
    missing = shape - key_paths(load_event(recorded))
    assert not missing, dotted(missing)
