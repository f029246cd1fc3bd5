"""The settings of a ``parley dev`` process: ports, paths, limits (flags beat environment)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["REPO_ROOT", "DevSettings", "loopback_host"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address (or ``localhost``); ValueError otherwise."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"the embedded store listens on loopback only (127.0.0.1, ::1, localhost), not "
            f"{host!r}: it holds the local accounts and must not be reachable from elsewhere"
        )
    return host


class DevSettings(BaseSettings):
    """Where the local stack listens and how faithful its limits are."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    host: str = "127.0.0.1"
    http_port: int = Field(default=3000, ge=0, le=65535)
    ws_port: int = Field(default=3001, ge=0, le=65535)
    # The @connections endpoint (and wss://) over TLS, the host:port the WebSocket events name
    # as their domainName; unset: the WebSocket port + 1, or any free port beside port 0.
    connections_port: int | None = Field(default=None, ge=0, le=65535)
    store_port: int = Field(default=4566, ge=0, le=65535)
    # The embedded store holds the local accounts: loopback only, whatever ``host`` is.
    store_host: str = "127.0.0.1"
    template: Path = REPO_ROOT / "template.yaml"
    stack_name: str = "parley-local"
    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    # Set: use that store (LocalStack, AWS) instead of starting the embedded moto server.
    aws_endpoint_url: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL")
    )
    ui_dir: Path | None = REPO_ROOT / "desktop" / "ui" / "dist"
    reload: bool = True
    warm: bool = True
    max_workers: int = Field(default=4, ge=1, le=64)
    idle_timeout_s: float = Field(default=600.0, gt=0)
    max_connection_s: float = Field(default=7200.0, gt=0)
    #: A quiet stream shard is read again when a function invocation ends, else this often.
    stream_poll_s: float = Field(default=0.25, gt=0)
    # Set: every scheduled function runs at this interval instead of its rate.
    schedule_interval_s: float | None = Field(default=None, gt=0)
    ready_file: Path | None = None
    # One media node beside the gateway (CONTRACT: 127.0.0.1:7000); 0 = any free port.
    media_node: bool = True
    media_port: int = Field(default=7000, ge=0, le=65535)
    # The local data folder (signing keys, ...); functions get it as PARLEY_DATA_DIR.
    data_dir: Path = REPO_ROOT / ".parley"
    # The functions' builds: artifacts per stack, layers cached per requirements and Python.
    build_dir: Path = REPO_ROOT / ".parley" / "build"
    # Template parameters, as `sam deploy --parameter-overrides` gives them (ApiBaseUrl is the
    # stack's own URL and cannot be overridden).
    parameter_overrides: dict[str, str] = Field(default_factory=dict)

    @field_validator("store_host")
    @classmethod
    def _loopback_store(cls, value: str) -> str:
        return loopback_host(value)
