"""Op dispatch of the WebSocket message routes, with @connections replaced by a recorder."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from emulator.events import WsFacts, ws_message_event
from shared.errors import Forbidden, RateLimited
from shared.gateway import connections, router
from shared.gateway.connections import ConnectionGone, management_client, post_frame
from shared.gateway.domain.protocol import Frame, Op, encode
from shared.gateway.router import GatewayRequest, GatewayRouter

FACTS = WsFacts(
    connection_id="BFaT_fALIAMCKug=",
    connected_at_ms=1731332735513,
    source_ip="10.0.0.1",
    domain_name="abc123.execute-api.us-east-1.amazonaws.com",
    stage="v1",
    api_id="abc123",
)


# The routing mechanics, on a router of the test's own: the $default function's real ops touch
# the store and are tested under moto (tests/functional/test_gateway_sessions.py), as is the
# frame budget's counter (tests/functional/test_gateway_frame_budget.py); here every frame is
# the first of its window.
def first_frame(_connection_id: str, _window: int, _ends_ms: int) -> int:
    return 1


ROUTER = GatewayRouter(counter=first_frame)


@ROUTER.op(Op.HEARTBEAT)
def _heartbeat(_request: GatewayRequest, _frame: Frame) -> Frame:
    return Frame(op=Op.HEARTBEAT_ACK)


class Posted:
    """What the router sent, by (domain, stage, connection)."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, str, str, dict[str, Any]]] = []
        self.gone: set[str] = set()

    def __call__(self, domain_name: str, stage: str, connection_id: str, frame: Frame) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        self.frames.append((domain_name, stage, connection_id, json.loads(encode(frame))))

    @property
    def data(self) -> list[dict[str, Any]]:
        return [frame for *_, frame in self.frames]


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> Posted:
    recorder = Posted()
    monkeypatch.setattr(router, "post_frame", recorder)
    return recorder


def _message(body: str | bytes) -> dict[str, Any]:
    return ws_message_event(FACTS, "$default", body)


def test_heartbeat_is_acknowledged_to_the_sender(posted: Posted) -> None:
    result = ROUTER.resolve(_message('{"op":1,"d":null}'))

    assert result == {"statusCode": 200}
    assert posted.frames == [
        (
            FACTS.domain_name,
            "v1",
            FACTS.connection_id,
            {"op": 11, "d": None, "s": None, "t": None},
        )
    ]


def test_binary_frames_are_decoded(posted: Posted) -> None:
    event = _message(b'{"op":1,"d":3}')
    assert event["isBase64Encoded"] is True

    ROUTER.resolve(event)
    assert posted.data == [{"op": 11, "d": None, "s": None, "t": None}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "decode_error"),
        ("", "decode_error"),
        ("[]", "decode_error"),
        ('{"op":99}', "unknown_op"),
        ('{"op":true}', "unknown_op"),
        # A client op that this function has no handler for.
        ('{"op":2,"d":{"token":"t"}}', "unknown_op"),
    ],
)
def test_bad_frames_are_answered_with_an_error_frame(posted: Posted, body: str, code: str) -> None:
    result = ROUTER.resolve(_message(body))

    assert result == {"statusCode": 200}
    (frame,) = posted.data
    assert frame["op"] == 12
    assert frame["d"]["code"] == code
    assert frame["d"]["status"] == 400
    assert frame["d"]["message"]


def test_handler_errors_become_error_frames(posted: Posted) -> None:
    gateway = GatewayRouter(counter=first_frame)

    @gateway.op(Op.PRESENCE_UPDATE)
    def presence(_request: GatewayRequest, _frame: Frame) -> Frame:
        raise Forbidden("Not in this guild.", code="missing_access")

    @gateway.op(Op.IDENTIFY)
    def identify(_request: GatewayRequest, _frame: Frame) -> Frame:
        raise RateLimited("Too many identifies.", retry_after=5)

    gateway.resolve(_message('{"op":3,"d":{"status":"idle"}}'))
    gateway.resolve(_message('{"op":2,"d":{}}'))

    assert [frame["d"] for frame in posted.data] == [
        {"code": "missing_access", "message": "Not in this guild.", "status": 403},
        {
            "code": "rate_limited",
            "message": "Too many identifies.",
            "errors": {"retry_after": 5},
            "status": 429,
        },
    ]


def test_handler_gets_the_request_and_the_frame(posted: Posted) -> None:
    gateway = GatewayRouter(counter=first_frame)
    seen: list[tuple[GatewayRequest, Frame]] = []

    @gateway.op(Op.RESUME)
    def resume(request: GatewayRequest, frame: Frame) -> None:
        seen.append((request, frame))

    event = _message('{"op":6,"d":{"session_id":"s","seq":4}}')
    gateway.resolve(event)

    ((request, frame),) = seen
    assert request == GatewayRequest(
        connection_id=FACTS.connection_id,
        domain_name=FACTS.domain_name,
        stage="v1",
        request_id=event["requestContext"]["requestId"],
        connected_ms=FACTS.connected_at_ms,
        received_ms=event["requestContext"]["requestTimeEpoch"],
    )
    assert frame == Frame(op=Op.RESUME, d={"session_id": "s", "seq": 4})
    # A handler that answers None sends nothing back.
    assert posted.frames == []


def test_a_sender_gone_before_the_reply_is_not_an_error(posted: Posted) -> None:
    posted.gone.add(FACTS.connection_id)
    assert ROUTER.resolve(_message('{"op":1}')) == {"statusCode": 200}
    assert posted.frames == []


@pytest.fixture
def stubbed_client() -> Iterator[Stubber]:
    management_client.cache_clear()
    client = management_client(FACTS.domain_name, FACTS.stage)
    with Stubber(client) as stubber:
        yield stubber
    management_client.cache_clear()


def test_management_client_targets_the_events_domain_and_stage() -> None:
    management_client.cache_clear()
    try:
        client = management_client(FACTS.domain_name, "v1")
        assert client.meta.endpoint_url == f"https://{FACTS.domain_name}/v1"
        assert client.meta.service_model.service_name == "apigatewaymanagementapi"
        assert management_client(FACTS.domain_name, "v1") is client
        assert management_client(FACTS.domain_name, "v2") is not client
    finally:
        management_client.cache_clear()


def test_post_frame_posts_the_encoded_frame(stubbed_client: Stubber) -> None:
    frame = Frame(op=Op.HEARTBEAT_ACK)
    stubbed_client.add_response(
        "post_to_connection", {}, {"ConnectionId": FACTS.connection_id, "Data": encode(frame)}
    )
    post_frame(FACTS.domain_name, FACTS.stage, FACTS.connection_id, frame)
    stubbed_client.assert_no_pending_responses()


def test_post_frame_to_a_closed_connection_raises_connection_gone(
    stubbed_client: Stubber,
) -> None:
    stubbed_client.add_client_error(
        "post_to_connection", service_error_code="GoneException", http_status_code=410
    )
    with pytest.raises(ConnectionGone) as caught:
        post_frame(FACTS.domain_name, FACTS.stage, "old=", Frame(op=Op.HEARTBEAT_ACK))
    assert caught.value.connection_id == "old="


def test_post_frame_other_errors_propagate(stubbed_client: Stubber) -> None:
    stubbed_client.add_client_error(
        "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
    )
    with pytest.raises(ClientError):
        post_frame(FACTS.domain_name, FACTS.stage, FACTS.connection_id, Frame(op=Op.HEARTBEAT_ACK))


def test_router_posts_through_post_frame(stubbed_client: Stubber) -> None:
    """End to end inside the process: the heartbeat's ACK reaches the boto3 client."""
    stubbed_client.add_response(
        "post_to_connection",
        {},
        {"ConnectionId": FACTS.connection_id, "Data": b'{"op":11,"d":null,"s":null,"t":null}'},
    )
    assert connections.post_frame is router.post_frame
    ROUTER.resolve(_message('{"op":1,"d":null}'))
    stubbed_client.assert_no_pending_responses()


def test_non_utf8_binary_frame_is_a_decode_error(posted: Posted) -> None:
    event = _message(b"\xff\xfe\xfd")
    assert event["body"] == base64.b64encode(b"\xff\xfe\xfd").decode()

    ROUTER.resolve(event)
    assert posted.data[0]["d"]["code"] == "decode_error"


def test_deeply_nested_frame_is_answered_with_a_decode_error(posted: Posted) -> None:
    ROUTER.resolve(_message("[" * 100_000))
    assert posted.data[0]["d"]["code"] == "decode_error"
