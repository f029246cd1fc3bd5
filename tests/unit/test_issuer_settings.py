"""Which issuer a process signs and checks ``iss`` with, and the discovery document naming it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.auth.discovery import discovery_document
from shared.config import Settings

BUCKET_ISSUER = "https://parley-issuerbucket-1x2y3z.s3.eu-west-1.amazonaws.com"


def test_the_templates_token_issuer_wins_over_the_public_url() -> None:
    settings = Settings(token_issuer=f"{BUCKET_ISSUER}/", public_url="")
    assert settings.jwt_issuer == BUCKET_ISSUER


def test_without_a_token_issuer_the_api_itself_issues() -> None:
    settings = Settings(token_issuer="", public_url="http://127.0.0.1:41234/")
    assert settings.jwt_issuer == "http://127.0.0.1:41234/api/v1"


@pytest.mark.parametrize("bad", ["ftp://host", "bucket.s3.amazonaws.com", "https://"])
def test_a_token_issuer_that_is_not_a_url_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="token_issuer"):
        Settings(token_issuer=bad)


def test_the_discovery_document_names_the_jwks_under_the_issuer() -> None:
    document = discovery_document(f"{BUCKET_ISSUER}/")
    assert document["issuer"] == BUCKET_ISSUER
    assert document["jwks_uri"] == f"{BUCKET_ISSUER}/.well-known/jwks.json"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
