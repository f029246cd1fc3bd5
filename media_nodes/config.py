"""The settings of one media node process (pydantic-settings; flags beat the environment)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MediaNodeSettings"]


class MediaNodeSettings(BaseSettings):
    """Where the node listens, who it trusts, how much it takes, how it reports itself."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_MEDIA_", extra="ignore")

    #: The node's identity: the audience its voice tokens must name, its registry key.
    node_id: str = Field(default_factory=lambda: f"node-{secrets.token_hex(4)}", pattern=r"^[^#]+$")
    host: str = "127.0.0.1"
    port: int = Field(default=7000, ge=0, le=65535)
    #: The signalling URL clients are given; by default built from host and the bound port.
    public_endpoint: str | None = None
    region: str = "local"
    #: ICE host candidate addresses. The default keeps a local node's media on loopback; a
    #: deployed node names its public interface's address, or [] for every interface.
    ice_host_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    #: Participants this node accepts in all; the registry's "capacity", and its refusal point.
    capacity: int = Field(default=200, ge=1)
    #: The public keys voice tokens are checked against: a JWKS document inline or in a file.
    voice_jwks: str | None = None
    voice_jwks_file: Path | None = None
    #: Heartbeat into the node registry (the single table) every interval, with this TTL. A
    #: dead node's rooms must be moved within 10 s: it is considered dead once its TTL passes
    #: (at most 6 s after its last beat), leaving the allocator time to act.
    registry: bool = True
    #: With the registry: publish speaking to the guild through the store (media_nodes/speaking.py).
    report_speaking: bool = True
    heartbeat_interval_s: float = Field(default=2.0, gt=0)
    heartbeat_ttl_s: float = Field(default=6.0, gt=0)
    #: Packets queued per receiving participant before new ones are dropped (a slow receiver).
    outbox_packets: int = Field(default=64, ge=1, le=10_000)
    #: Speaking: RFC 6464 level threshold, hangover and the least time between published changes.
    speaking_threshold: int = Field(default=50, ge=0, le=127)
    speaking_hangover_s: float = Field(default=0.4, gt=0)
    speaking_min_interval_s: float = Field(default=0.2, ge=0)
    #: After SIGTERM: how long clients get to leave before the node closes what is left.
    drain_grace_s: float = Field(default=5.0, ge=0)
    #: Seconds a client has, once its WebSocket is open, to send its offer.
    offer_timeout_s: float = Field(default=10.0, gt=0)
    #: Largest signalling message accepted (SDP of a big room stays far below it).
    max_signal_bytes: int = Field(default=256 * 1024, ge=1024)
    #: Write {"endpoint", "metrics", "node_id"} here as JSON once listening (tests, `make dev`).
    ready_file: Path | None = None

    @model_validator(mode="after")
    def _check(self) -> MediaNodeSettings:
        if self.heartbeat_interval_s >= self.heartbeat_ttl_s:
            raise ValueError("heartbeat_interval_s must be shorter than heartbeat_ttl_s")
        return self

    def jwks_text(self) -> str:
        """The JWKS the node trusts; ValueError when none is configured."""
        if self.voice_jwks:
            return self.voice_jwks
        if self.voice_jwks_file is not None:
            return self.voice_jwks_file.read_text()
        raise ValueError(
            "no voice token keys: set PARLEY_MEDIA_VOICE_JWKS or PARLEY_MEDIA_VOICE_JWKS_FILE"
        )
