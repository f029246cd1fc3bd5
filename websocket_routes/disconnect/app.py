"""The WebSocket API's ``$disconnect`` route: best effort, as on AWS (its answer is ignored)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway.lifecycle import disconnected
from shared.observability import instrumented, logger


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws_event = APIGatewayWebSocketEvent(event)
    context_ = ws_event.request_context
    logger.info(
        "disconnected",
        extra={
            "connection_id": context_.connection_id,
            "status_code": context_.disconnect_status_code,
        },
    )
    disconnected(context_.connection_id)
    return {"statusCode": 200}
