"""Who may open a gateway connection: the REQUEST authorizer's decision for ``$connect``.

API Gateway turns an authorizer that fails with the message ``Unauthorized`` into a 401 for the
handshake, and an Allow policy into a connection whose every route gets the policy's context in
``requestContext.authorizer``.

It verifies with the issuer's published JWKS (``shared/auth/jwks.py``), as API Gateway's JWT
authorizer does, so its function holds no private key and needs no grant on the key parameter.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponseWebSocket,
)

from shared.auth.jwks import issuer_keys
from shared.auth.tokens import verify_access_token
from shared.config import get_settings
from shared.errors import Unauthorized
from shared.observability import logger

__all__ = ["ConnectionRefused", "authorize_connection"]


class ConnectionRefused(Exception):
    """Raised out of the authorizer: API Gateway answers the handshake with 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def authorize_connection(event: dict[str, Any]) -> dict[str, Any]:
    """The Allow policy for a ``$connect`` whose ``?token=`` is a valid access token."""
    settings = get_settings()
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        claims = verify_access_token(
            issuer_keys(),
            token,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    except Unauthorized as refused:
        logger.info("gateway connection refused", extra={"reason": refused.code})
        raise ConnectionRefused from None
    user_id = str(claims["sub"])
    policy = APIGatewayAuthorizerResponseWebSocket.from_route_arn(
        event["methodArn"], principal_id=user_id, context={"user_id": user_id}
    )
    policy.allow_route("$connect")
    result: dict[str, Any] = policy.asdict()
    return result
