"""Who may open a gateway connection: the REQUEST authorizer's decision for ``$connect``.

API Gateway turns an authorizer that fails with the message ``Unauthorized`` into a 401 for the
handshake, and an Allow policy into a connection whose every route gets the policy's context in
``requestContext.authorizer``.

It verifies with the issuer's published JWKS (``shared/auth/jwks.py``), as API Gateway's JWT
authorizer does, so its function holds no private key and needs no grant on the key parameter.
Unlike that authorizer it also reads the store: the token's login (``sid``) must not have ended,
so a logout shuts the gateway to the login's access tokens at once (decision 32).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponseWebSocket,
)

from shared.auth.jwks import issuer_keys
from shared.auth.storage.refresh_tokens import login_is_live
from shared.auth.tokens import PublicKeys, verify_access_token
from shared.config import get_settings
from shared.errors import Unauthorized
from shared.observability import logger

__all__ = ["ConnectionRefused", "authorize_connection", "verify_live_token"]


class ConnectionRefused(Exception):
    """Raised out of the authorizer: API Gateway answers the handshake with 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def verify_live_token(keys: PublicKeys, token: str) -> dict[str, Any]:
    """The claims of a valid access token whose login has not ended; :class:`Unauthorized`
    for anything else (``session_ended`` for an ended login's).

    A token without ``sid`` (minted before access tokens named their login) is taken as it is:
    it expires within its short lifetime.
    """
    settings = get_settings()
    claims = verify_access_token(
        keys, token, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    login = claims.get("sid")
    if login is not None and not login_is_live(int(claims["sub"]), str(login)):
        raise Unauthorized("This login has ended; sign in again.", code="session_ended")
    return claims


def authorize_connection(event: dict[str, Any]) -> dict[str, Any]:
    """The Allow policy for a ``$connect`` whose ``?token=`` is a valid access token of a
    login that has not ended."""
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        claims = verify_live_token(issuer_keys(), token)
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
