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
    # How long a disconnected session can be resumed, and so how long the log keeps events.
    resume_window_s: int = Field(default=300, ge=1, le=86_400)
    # API Gateway's connection cap (2 hours) and how long before it RECONNECT is sent.
    gateway_max_connection_s: float = Field(default=7200.0, gt=0)
    gateway_reconnect_margin_s: float = Field(default=300.0, gt=0)
    # Gateway logs: each session listens to one; an event is appended to every one.
    gateway_log_shards: int = Field(default=1, ge=1, le=16)
    # Concurrent @connections posts from one fan-out invocation.
    fanout_concurrency: int = Field(default=64, ge=1, le=1024)


@cache
def get_settings() -> Settings:
    """The process's settings, validated once and then shared."""
    return Settings()
