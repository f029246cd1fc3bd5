"""The WebSocket API's ``$connect`` route: a connection is accepted by answering 200."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway.lifecycle import connected
from shared.gateway.router import authorized_user
from shared.observability import instrumented, logger


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ws_event = APIGatewayWebSocketEvent(event)
    connection_id = ws_event.request_context.connection_id
    user_id = authorized_user(event)
    if user_id is None:  # the authorizer lets no one through without a user; never trust less
        return {"statusCode": 401}
    connected(connection_id, user_id)
    logger.info("connected", extra={"connection_id": connection_id})
    return {"statusCode": 200}
