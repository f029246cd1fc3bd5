"""The WebSocket API's ``$default`` route: frames whose op has no route of its own."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway.protocol import Frame, Op
from shared.gateway.router import GatewayRequest, GatewayRouter
from shared.observability import logger

router = GatewayRouter()


@router.op(Op.HEARTBEAT)
def heartbeat(_request: GatewayRequest, _frame: Frame) -> Frame:
    """A client's heartbeat is acknowledged at once."""
    return Frame(op=Op.HEARTBEAT_ACK)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return router.resolve(event)
