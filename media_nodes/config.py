"""The settings of one media node process (pydantic-settings; flags beat the environment).

``PARLEY_MEDIA_*`` is the node's own namespace: every name in it must be a field here, and an
unknown one stops the node at start (:func:`unknown_names`), so a misspelt or stale name in the
user data or a manifest is found at once instead of being ignored. Besides its own names, the
node reads the store's settings the functions read too (:data:`SHARED_NAMES`, through
``shared.config``), the AWS SDK's (``AWS_REGION``, ``AWS_ENDPOINT_URL``, credentials) and the
SDK's instance metadata endpoint (``AWS_EC2_METADATA_SERVICE_ENDPOINT``).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = [
    "EC2_METADATA",
    "ENV_PREFIX",
    "SHARED_NAMES",
    "MediaNodeSettings",
    "PortRange",
    "UnknownSettings",
    "unknown_names",
]

ENV_PREFIX = "PARLEY_MEDIA_"
#: ``PARLEY_*`` names outside the node's namespace that it reads (through ``shared.config``).
SHARED_NAMES = frozenset({"PARLEY_TABLE_NAME"})
#: ``PARLEY_MEDIA_PUBLIC_IP``'s value that means "ask the EC2 instance metadata service".
EC2_METADATA = "ec2-metadata"


class UnknownSettings(ValueError):
    """The environment names ``PARLEY_MEDIA_*`` variables that no setting reads."""


@dataclass(frozen=True)
class PortRange:
    """An inclusive range of local UDP ports, written ``"40000-40999"``."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 1024 <= self.low <= self.high <= 65535:
            raise ValueError(f"{self} is not a port range within 1024-65535")

    @classmethod
    def parse(cls, value: object) -> PortRange:
        if isinstance(value, PortRange):
            return value
        low, sep, high = str(value).strip().partition("-")
        if not sep or not low.strip().isdigit() or not high.strip().isdigit():
            raise ValueError(f"expected a port range such as 40000-40999, got {value!r}")
        return cls(int(low), int(high))

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.low <= port <= self.high

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.low, self.high + 1))

    def __len__(self) -> int:
        return self.high - self.low + 1

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


def _ip_text(value: object) -> str:
    return str(ipaddress.ip_address(str(value).strip()))


def _public_ip(value: object) -> object:
    if value is None or value == "":
        return None
    text = str(value).strip()
    return text if text == EC2_METADATA else _ip_text(text)


def _port_range(value: object) -> PortRange | None:
    return None if value is None or value == "" else PortRange.parse(value)


class MediaNodeSettings(BaseSettings):
    """Where the node listens, who it trusts, how much it takes, how it reports itself."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", populate_by_name=True)

    #: The node's identity: the audience its voice tokens must name, its registry key.
    node_id: str = Field(default_factory=lambda: f"node-{secrets.token_hex(4)}", pattern=r"^[^#]+$")
    #: The address signalling, /health and /metrics listen on: 127.0.0.1 locally, 0.0.0.0 on
    #: EC2 (the TLS proxy and the monitoring scrape both reach it), the pod IP on Kubernetes.
    host: Annotated[str, BeforeValidator(_ip_text)] = "127.0.0.1"
    port: int = Field(default=7000, ge=0, le=65535)
    #: The signalling URL clients are given; by default built from the public (or bound)
    #: address and the bound port.
    public_endpoint: str | None = None
    region: str = "local"
    #: ICE host candidate addresses: the local addresses the node gathers media sockets on.
    #: The default keeps a lone node's media on loopback (``parley dev`` gives its node every
    #: local address, which stock clients need: emulator/media.py); a deployed node names the
    #: address of its interface (EC2: its private address), or [] for every interface.
    ice_host_addresses: list[Annotated[str, BeforeValidator(_ip_text)]] = Field(
        default_factory=lambda: ["127.0.0.1"]
    )
    #: The address the node announces in its ICE candidates instead of the bound one, where a
    #: 1:1 NAT maps it (EC2's public IPv4); ``ec2-metadata`` asks the instance metadata service
    #: (IMDSv2) at start. Unset: candidates carry the bound address.
    public_ip: Annotated[str | None, BeforeValidator(_public_ip)] = None
    #: Where the instance metadata service answers (the AWS SDK's own variable and default).
    ec2_metadata_endpoint: str = Field(
        default="http://169.254.169.254",
        validation_alias="AWS_EC2_METADATA_SERVICE_ENDPOINT",
    )
    #: The local UDP ports media sockets bind in (the range the firewall opens); unset: any.
    rtp_ports: Annotated[PortRange | None, NoDecode, BeforeValidator(_port_range)] = None
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
        if self.public_ip is not None and len(self.ice_host_addresses) != 1:
            raise ValueError(
                "public_ip maps one bound address: set exactly one ice_host_addresses entry"
            )
        return self

    @property
    def public_ip_pending(self) -> bool:
        """True until the public address asked of the metadata service is filled in."""
        return self.public_ip == EC2_METADATA

    def jwks_text(self) -> str:
        """The JWKS the node trusts; ValueError when none is configured."""
        if self.voice_jwks:
            return self.voice_jwks
        if self.voice_jwks_file is not None:
            return self.voice_jwks_file.read_text()
        raise ValueError(
            "no voice token keys: set PARLEY_MEDIA_VOICE_JWKS or PARLEY_MEDIA_VOICE_JWKS_FILE"
        )


def _known_names() -> frozenset[str]:
    return frozenset(
        ENV_PREFIX + name.upper()
        for name, field in MediaNodeSettings.model_fields.items()
        if field.validation_alias is None
    )


def unknown_names(environ: Mapping[str, str]) -> list[str]:
    """The ``PARLEY_MEDIA_*`` names in ``environ`` that no setting reads (sorted)."""
    known = _known_names()
    return sorted(
        name
        for name in environ
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
    )


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise :class:`UnknownSettings` naming every unknown ``PARLEY_MEDIA_*`` variable."""
    unknown = unknown_names(environ)
    if unknown:
        raise UnknownSettings(
            f"unknown setting(s) {', '.join(unknown)}: the node reads "
            f"{', '.join(sorted(_known_names()))} (docs/voice.md, configuration)"
        )
