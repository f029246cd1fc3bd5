"""What a client asks before it signs in: where the gateway is, which OpenID providers exist.

Both are public (``Auth: Authorizer: NONE``) and hold nothing secret; the UI (docs/client.md)
calls them from the sign-in screen.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.auth.models import GatewayUrl, OidcProviders
from shared.auth import oidc
from shared.config import get_settings
from shared.responses import answers

router = APIGatewayHttpRouter()


@router.get("/gateway", responses=answers(GatewayUrl, "The gateway's WebSocket URL."))
def gateway() -> dict[str, Any]:
    """Discord's route: the gateway's URL. On AWS the WebSocket API has its own host, so a
    client cannot derive it from the REST API's."""
    return {"url": get_settings().gateway_url}


@router.get("/auth/oidc/providers", responses=answers(OidcProviders, "The providers."))
def oidc_providers() -> dict[str, Any]:
    """The "Sign in with …" buttons: each configured provider's key and display name."""
    return {"providers": oidc.providers()}
