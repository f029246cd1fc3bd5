"""Dispatch of gateway frames to op handlers, for the WebSocket API's message routes.

The WebSocket API selects routes by ``$request.body.op``; whatever lands on a function built on
:class:`GatewayRouter` is parsed, given to the handler registered for its op, and the handler's
reply (if any) is posted back to the sender through @connections. A :class:`ParleyError` becomes
an ERROR frame built from the same status table as the REST API's errors.

Every frame first counts against its connection's frame budget (``frame_budget.py``), whatever
it holds: past the budget the connection is told why (an ERROR frame with ``close_code`` 4008)
and closed, and nothing it sends after is handled.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent

from shared.config import get_settings
from shared.errors import Invalid, ParleyError, RateLimited
from shared.gateway.connections import (
    ConnectionGone,
    close_connection,
    post_frame,
    post_frames,
)
from shared.gateway.domain.frame_budget import CLOSE_CODE, CLOSE_REASON, FrameBudget, Verdict
from shared.gateway.domain.protocol import Frame, Op, error_frame, parse_client_frame
from shared.gateway.storage.frame_counts import count_frame
from shared.limits.domain.bucket import Rate
from shared.observability import Metric, count, logger

__all__ = [
    "FrameCounter",
    "GatewayRequest",
    "GatewayRouter",
    "OpHandler",
    "authorized_user",
    "within_budget",
]


@dataclass(frozen=True, slots=True)
class GatewayRequest:
    """Where a frame came from: enough to answer it through @connections."""

    connection_id: str
    domain_name: str
    stage: str
    request_id: str
    user_id: int | None = None  # from the $connect authorizer's context
    connected_ms: int | None = None
    received_ms: int | None = None  # when API Gateway received the frame

    def reply(self, frame: Frame) -> None:
        """Post a frame back to the sender; a closed sender is logged, not raised."""
        try:
            post_frame(self.domain_name, self.stage, self.connection_id, frame)
        except ConnectionGone:
            logger.info("sender gone before the reply", extra={"connection_id": self.connection_id})

    def reply_all(self, frames: Sequence[Frame]) -> bool:
        """Post frames back to the sender in order; False (and logged) if it is gone."""
        if post_frames(self.domain_name, self.stage, self.connection_id, frames):
            return True
        logger.info("sender gone before the reply", extra={"connection_id": self.connection_id})
        return False


OpHandler = Callable[[GatewayRequest, Frame], Frame | None]


#: Counts a frame in a connection's window: (connection id, window, window's end in ms) → the
#: window's count with it.
FrameCounter = Callable[[str, int, int], int]


def within_budget(request: GatewayRequest, counter: FrameCounter) -> bool:
    """Count the frame against its connection's budget; False when it is not to be handled
    (the connection was closed for it, or is being closed)."""
    budget = FrameBudget.of(Rate.parse(get_settings().gateway_frame_budget))
    connected = request.connected_ms or 0
    received = request.received_ms or connected
    window = budget.window(connected, received)
    frames = counter(request.connection_id, window, budget.window_ends_ms(connected, window))
    verdict = budget.verdict(frames)
    if verdict is Verdict.CLOSE:
        logger.info("frame budget spent", extra={"connection_id": request.connection_id})
        retry_after = (budget.window_ends_ms(connected, window) - received) / 1000
        notice = error_frame(RateLimited(CLOSE_REASON, retry_after=retry_after))
        request.reply(Frame(op=Op.ERROR, d={**notice.d, "close_code": CLOSE_CODE}))
        close_connection(request.domain_name, request.stage, request.connection_id)
    return verdict is Verdict.ANSWER


def authorized_user(event: dict[str, Any]) -> int | None:
    """The user id the $connect authorizer put in the connection's context, if any."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    value = authorizer.get("user_id") or authorizer.get("userId") or authorizer.get("principalId")
    return int(value) if isinstance(value, str | int) and str(value).isdigit() else None


class GatewayRouter:
    """A table of op handlers for one WebSocket route function."""

    def __init__(self, counter: FrameCounter = count_frame) -> None:
        self._handlers: dict[Op, OpHandler] = {}
        self._counter = counter

    def op(self, op: Op) -> Callable[[OpHandler], OpHandler]:
        """Register the handler of one op."""

        def register(handler: OpHandler) -> OpHandler:
            self._handlers[op] = handler
            return handler

        return register

    def resolve(self, event: dict[str, Any]) -> dict[str, Any]:
        """Handle one WebSocket message event; the result is the integration response."""
        ws_event = APIGatewayWebSocketEvent(event)
        context = ws_event.request_context
        request = GatewayRequest(
            connection_id=context.connection_id,
            domain_name=context.domain_name,
            stage=context.stage,
            request_id=context.request_id,
            user_id=authorized_user(event),
            connected_ms=context.connected_at,
            received_ms=context.request_time_epoch,
        )
        try:
            if not within_budget(request, self._counter):
                return {"statusCode": 200}
            try:
                body = ws_event.decoded_body
            except (UnicodeDecodeError, binascii.Error) as exc:
                raise Invalid("A frame is UTF-8 JSON text.", code="decode_error") from exc
            frame = parse_client_frame(body)
            handler = self._handlers.get(frame.op)
            if handler is None:
                raise Invalid(f"Op {int(frame.op)} is not served here.", code="unknown_op")
            reply = handler(request, frame)
        except ParleyError as error:
            count(Metric.GATEWAY_ERRORS)
            reply = error_frame(error)
        if reply is not None:
            request.reply(reply)
        return {"statusCode": 200}
