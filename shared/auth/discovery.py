"""The token issuer's discovery document, as API Gateway's JWT authorizer reads it.

API Gateway fetches ``<issuer>/.well-known/openid-configuration`` and then its ``jwks_uri``; it
needs nothing else from the document. The same document is served by the auth function (under
the API's own issuer URL, locally) and published to the stack's issuer bucket (on AWS).
"""

from __future__ import annotations

from typing import Any

from shared.auth.keyring import ALGORITHM

__all__ = ["JWKS_PATH", "OPENID_CONFIGURATION_PATH", "discovery_document"]

#: Where, under the issuer, each document lives.
OPENID_CONFIGURATION_PATH = ".well-known/openid-configuration"
JWKS_PATH = ".well-known/jwks.json"


def discovery_document(issuer: str) -> dict[str, Any]:
    """The discovery document of the issuer ``issuer`` (no trailing slash)."""
    issuer = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/{JWKS_PATH}",
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
    }
