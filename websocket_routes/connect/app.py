"""The WebSocket API's ``$connect`` route: a connection is accepted by answering 200."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws_event = APIGatewayWebSocketEvent(event)
    logger.info("connected", extra={"connection_id": ws_event.request_context.connection_id})
    return {"statusCode": 200}
