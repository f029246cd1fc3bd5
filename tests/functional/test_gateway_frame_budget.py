"""A connection's frame budget in the ``$default`` function under moto: the counter in the
store, the close through @connections, the next window (docs/protocol.md, "Limits and close
codes"). The close as a client sees it is tested over a real socket in
tests/integration/test_gateway_frame_budget.py."""

from __future__ import annotations

import copy
from typing import Any

from tests.functional.conftest import FakeLambdaContext, frames_posted, load_event
from websocket_routes.default.app import lambda_handler as default

HEARTBEAT = load_event("ws-heartbeat.json")
CONNECTION_ID = HEARTBEAT["requestContext"]["connectionId"]
CONNECTED_MS = HEARTBEAT["requestContext"]["connectedAt"]


def frame_at(received_after_s: float) -> dict[str, Any]:
    """The recorded heartbeat, as received ``received_after_s`` after the connection opened."""
    event = copy.deepcopy(HEARTBEAT)
    event["requestContext"]["requestTimeEpoch"] = CONNECTED_MS + int(received_after_s * 1000)
    return event


def test_120_frames_are_answered_the_121st_closes_and_later_ones_are_dropped(
    lambda_context: FakeLambdaContext,
) -> None:
    for n in range(120):
        default(frame_at(n * 0.4), lambda_context)
    assert [f["op"] for f in frames_posted(CONNECTION_ID)] == [11] * 120
    default(frame_at(50), lambda_context)
    # moto's @connections forgets what a connection was sent once it is deleted.
    assert frames_posted(CONNECTION_ID) == []
    default(frame_at(51), lambda_context)
    assert frames_posted(CONNECTION_ID) == []


def test_the_budget_is_per_minute_from_the_connection_s_start(
    lambda_context: FakeLambdaContext,
) -> None:
    for n in range(120):
        default(frame_at(59 + n * 0.005), lambda_context)  # the end of the first minute
    default(frame_at(60.5), lambda_context)  # the second minute's first frame
    assert [f["op"] for f in frames_posted(CONNECTION_ID)] == [11] * 121


def test_connections_have_budgets_of_their_own(lambda_context: FakeLambdaContext) -> None:
    for _ in range(120):
        default(frame_at(1), lambda_context)
    other = frame_at(1)
    other["requestContext"]["connectionId"] = "GyRk1fBPIAMCLuA="
    default(other, lambda_context)
    assert [f["op"] for f in frames_posted("GyRk1fBPIAMCLuA=")] == [11]
