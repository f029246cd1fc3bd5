"""OpenID client secrets: from Secrets Manager on AWS, from the provider settings locally.

The template's ``OidcClientSecretsArn`` names one secret holding ``{"<provider name>": "<client
secret>"}``, so the secrets never sit in a function's environment (``OidcProviders`` is a plain
parameter whose value CloudFormation shows to anyone who may describe the stack). When
``PARLEY_OIDC_CLIENT_SECRETS_ARN`` is set, a provider's secret comes from there, read through
Powertools Parameters (whose cache serves every provider from one read); a provider the secret
does not name keeps the ``client_secret`` of its settings (none for a public client). Unset, as
in ``parley dev``: the settings' ``client_secret``, as before. ``shared.auth.oidc`` builds each
provider's client once per container, so a rotated secret reaches containers started after the
rotation (a redeploy recycles them all).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from shared.config import OidcProviderSettings, Settings
from shared.errors import Unavailable
from shared.observability import logger

__all__ = ["client_secret"]


def _unusable(arn: str, problem: str) -> Unavailable:
    logger.error("OpenID client secrets unusable", extra={"secret": arn, "problem": problem})
    return Unavailable("The sign-in provider is not configured.", code="oidc_unavailable")


def client_secret(name: str, provider: OidcProviderSettings, settings: Settings) -> str | None:
    """The client secret of provider ``name``; 503 ``oidc_unavailable`` if it cannot be read."""
    arn = settings.oidc_client_secrets_arn
    if not arn:
        return provider.client_secret
    try:
        secrets = parameters.get_secret(arn, transform="json")
    except parameters.exceptions.GetParameterError as exc:
        raise _unusable(arn, "cannot be read") from exc
    except parameters.exceptions.TransformParameterError as exc:
        raise _unusable(arn, "is not JSON") from exc
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise _unusable(arn, "is not an object of provider names to strings")
    found = secrets.get(name)
    return found if found is not None else provider.client_secret
