"""One validated settings model per process, read once at cold start."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything a Parley process reads from its environment.

    No endpoint, region or credential is written in code: the store's endpoint comes from
    ``AWS_ENDPOINT_URL`` (unset on AWS, where boto3 finds the regional endpoint itself).
    """

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore", frozen=True)

    service_name: str = Field(
        default="parley",
        validation_alias=AliasChoices("POWERTOOLS_SERVICE_NAME", "PARLEY_SERVICE_NAME"),
    )
    version: str = "0.1.0"
    stage: str = "local"
    table_name: str = "parley"
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "PARLEY_AWS_REGION"),
    )
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL", "PARLEY_AWS_ENDPOINT_URL")
    )
    # API Gateway's @connections endpoint is https on AWS; the local emulator serves plain http.
    connections_scheme: Literal["http", "https"] = "https"
    # Milliseconds between the heartbeats a gateway client must send.
    heartbeat_interval_ms: int = Field(default=41_250, ge=1_000, le=600_000)


@cache
def get_settings() -> Settings:
    """The process's settings, validated once and then shared."""
    return Settings()
