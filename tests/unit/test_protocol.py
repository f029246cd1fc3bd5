"""Gateway frames, sans I/O: text in, a Frame or a typed error out; a Frame in, bytes out."""

from __future__ import annotations

import json

import pytest

from shared.errors import Forbidden, Invalid, NotFound, ParleyError, RateLimited, Unavailable
from shared.gateway.domain.protocol import (
    CLIENT_OPS,
    Frame,
    Op,
    encode,
    error_frame,
    parse_client_frame,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"op":1,"d":null}', Frame(op=Op.HEARTBEAT)),
        ('{"op":1,"d":42}', Frame(op=Op.HEARTBEAT, d=42)),
        (
            '{"op":2,"d":{"token":"t","properties":{"os":"linux"}}}',
            Frame(op=Op.IDENTIFY, d={"token": "t", "properties": {"os": "linux"}}),
        ),
        ('{"op":3,"d":{"status":"idle"}}', Frame(op=Op.PRESENCE_UPDATE, d={"status": "idle"})),
        ('{"op":4,"d":{"guild_id":"1"}}', Frame(op=Op.VOICE_STATE_UPDATE, d={"guild_id": "1"})),
        ('{"op":6,"d":{"seq":3}}', Frame(op=Op.RESUME, d={"seq": 3})),
        ('{"op":1,"d":null,"s":7}', Frame(op=Op.HEARTBEAT, s=7)),
        # A client's `s` is only kept when it is a number; its `t` is never kept.
        ('{"op":1,"d":null,"s":"7"}', Frame(op=Op.HEARTBEAT)),
        ('{"op":1,"d":null,"t":"READY"}', Frame(op=Op.HEARTBEAT)),
        ('{"op":1}', Frame(op=Op.HEARTBEAT)),
        (' {"op": 1, "d": null, "extra": true} ', Frame(op=Op.HEARTBEAT)),
    ],
)
def test_parse_client_frame(body: str, expected: Frame) -> None:
    frame = parse_client_frame(body)
    assert frame == expected
    assert isinstance(frame.op, Op)


@pytest.mark.parametrize(
    "body",
    [None, "", "not json", "{", '{"op":1', "[1, 2]", '"HEARTBEAT"', "1", "null", "true"],
)
def test_malformed_frames_are_decode_errors(body: str | None) -> None:
    with pytest.raises(Invalid) as caught:
        parse_client_frame(body)
    assert caught.value.code == "decode_error"


@pytest.mark.parametrize(
    "body",
    [
        "{}",
        '{"d":null}',
        '{"op":null}',
        '{"op":"1"}',
        '{"op":1.0}',
        '{"op":true}',  # bool is an int in Python, not an op
        '{"op":false}',
        '{"op":-1}',
        '{"op":5}',
        '{"op":99}',
        # Server-to-client ops are not accepted from a client.
        '{"op":0}',
        '{"op":7}',
        '{"op":9}',
        '{"op":10}',
        '{"op":11}',
        '{"op":12}',
    ],
)
def test_unknown_ops_are_rejected(body: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_client_frame(body)
    assert caught.value.code == "unknown_op"


def test_client_ops_are_the_contracts() -> None:
    assert {int(op) for op in CLIENT_OPS} == {1, 2, 3, 4, 6}


def test_deeply_nested_frame_is_a_decode_error() -> None:
    # 100 kB: within API Gateway's 128 KiB message quota.
    with pytest.raises(Invalid) as caught:
        parse_client_frame("[" * 100_000)
    assert caught.value.code == "decode_error"


def test_op_numbers_are_the_contracts() -> None:
    assert {op.name: int(op) for op in Op} == {
        "DISPATCH": 0,
        "HEARTBEAT": 1,
        "IDENTIFY": 2,
        "PRESENCE_UPDATE": 3,
        "VOICE_STATE_UPDATE": 4,
        "RESUME": 6,
        "RECONNECT": 7,
        "INVALID_SESSION": 9,
        "HELLO": 10,
        "HEARTBEAT_ACK": 11,
        "ERROR": 12,
    }


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        (Frame(op=Op.HEARTBEAT_ACK), b'{"op":11,"d":null,"s":null,"t":null}'),
        (
            Frame(op=Op.DISPATCH, d={"id": "1"}, s=5, t="MESSAGE_CREATE"),
            b'{"op":0,"d":{"id":"1"},"s":5,"t":"MESSAGE_CREATE"}',
        ),
        # Non-ASCII text goes out as UTF-8, not as \\u escapes.
        (Frame(op=Op.DISPATCH, d="héllo ☃"), '{"op":0,"d":"héllo ☃","s":null,"t":null}'.encode()),
    ],
)
def test_encode(frame: Frame, wire: bytes) -> None:
    assert encode(frame) == wire


def test_encoded_frame_parses_back() -> None:
    frame = Frame(op=Op.HEARTBEAT, d=17)
    assert parse_client_frame(encode(frame).decode()) == frame


def test_frames_are_immutable() -> None:
    frame = Frame(op=Op.HEARTBEAT)
    with pytest.raises(AttributeError):
        frame.op = Op.IDENTIFY  # type: ignore[misc]


@pytest.mark.parametrize(
    ("error", "d"),
    [
        (
            Invalid("The frame is not JSON.", code="decode_error"),
            {"code": "decode_error", "message": "The frame is not JSON.", "status": 400},
        ),
        (Forbidden("No."), {"code": "forbidden", "message": "No.", "status": 403}),
        (NotFound("Gone."), {"code": "not_found", "message": "Gone.", "status": 404}),
        (
            RateLimited("Slow.", retry_after=1.0),
            {
                "code": "rate_limited",
                "message": "Slow.",
                "errors": {"retry_after": 1.0},
                "status": 429,
            },
        ),
        (Unavailable("Later."), {"code": "unavailable", "message": "Later.", "status": 503}),
        (ParleyError("Hm."), {"code": "error", "message": "Hm.", "status": 400}),
    ],
)
def test_error_frame_uses_the_rest_status_table(error: ParleyError, d: dict[str, object]) -> None:
    frame = error_frame(error)
    assert frame.op is Op.ERROR
    assert frame.d == d
    assert json.loads(encode(frame)) == {"op": 12, "d": d, "s": None, "t": None}
