"""The WebSocket API's REQUEST authorizer on ``$connect``: ``?token=<access token>``.

API Gateway refuses a handshake without the ``token`` query parameter by itself (401, from the
authorizer's identity source); an invalid token is a 401 too (``shared.auth.gateway_access``). A
valid one puts ``user_id`` in the authorizer context of every route of the connection.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.auth.gateway_access import authorize_connection
from shared.observability import instrumented


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize_connection(event)
