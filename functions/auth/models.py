"""The auth area's answers (OpenAPI documentation only: ``shared.responses``)."""

from __future__ import annotations

from typing import Any

from shared.responses import OwnUser, ResponseBody

__all__ = ["Discovery", "GatewayUrl", "Jwks", "OidcProvider", "OidcProviders", "Session"]


class Session(ResponseBody):
    """A signed-in user and their token pair (``expires_in``: the access token's seconds)."""

    user: OwnUser
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class Jwks(ResponseBody):
    """The issuer's public JWK Set."""

    keys: list[dict[str, Any]]


class Discovery(ResponseBody):
    """The issuer's OpenID discovery document."""

    issuer: str
    jwks_uri: str
    response_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]


class GatewayUrl(ResponseBody):
    url: str


class OidcProvider(ResponseBody):
    id: str
    name: str


class OidcProviders(ResponseBody):
    providers: list[OidcProvider]
