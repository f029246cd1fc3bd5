"""Authlib's OpenID client for one provider, over requests.

Only an OpenID login needs it: ``shared.auth.oidc`` imports this module when a login starts or
comes back, so Authlib, requests and joserfc are no cost of the auth function's other cold
starts (docs/decisions.md, cold start).
"""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import (
    BaseApp,
    FrameworkIntegration,
    OAuth2Mixin,
    OpenIDMixin,
)
from authlib.integrations.requests_client import OAuth2Session
from joserfc.errors import JoseError

__all__ = ["UNREACHABLE", "UNVERIFIED", "FrameworkIntegration", "OidcClient"]

#: The provider could not be reached (connection, timeout, TLS).
UNREACHABLE: tuple[type[Exception], ...] = (requests.RequestException,)
#: The provider answered, but not with something Authlib could use or verify.
UNVERIFIED: tuple[type[Exception], ...] = (AuthlibBaseError, JoseError, ValueError, KeyError)


class OidcClient(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's framework-neutral OAuth 2 + OpenID client over requests."""

    client_cls = OAuth2Session
