"""One validated settings model per process, read once at cold start."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["OidcProviderSettings", "Settings", "get_settings"]

#: A rate limit as ``"<capacity>/<seconds>"``: a bucket of that many tokens, refilled in that time.
RATE_PATTERN = r"^[1-9][0-9]{0,6}/[0-9]+(\.[0-9]+)?$"


class OidcProviderSettings(BaseModel):
    """One OpenID provider Parley accepts logins from (docs/auth.md)."""

    issuer: str = Field(min_length=8)
    client_id: str = Field(min_length=1)
    client_secret: str | None = None
    scope: str = "openid email profile"
    # What the sign-in button says ("Sign in with <name>"); the provider's key when unset.
    name: str | None = Field(default=None, min_length=1, max_length=64)


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
    # Milliseconds between the heartbeats a gateway client must send.
    heartbeat_interval_ms: int = Field(default=41_250, ge=1_000, le=600_000)
    # How long a disconnected session can be resumed, and so how long the log keeps events.
    resume_window_s: int = Field(default=300, ge=1, le=86_400)
    # API Gateway's connection cap (2 hours) and how long before it RECONNECT is sent.
    gateway_max_connection_s: float = Field(default=7200.0, gt=0)
    gateway_reconnect_margin_s: float = Field(default=300.0, gt=0)
    # How long IDENTIFY or RESUME may spend replaying and handing a session to live delivery
    # (the log keeps moving under a busy deployment) before it sends RECONNECT instead: the
    # client resumes on a new connection rather than holding a session that never goes live.
    # Well under the $default function's 29 s.
    gateway_handoff_s: float = Field(default=20.0, gt=0, le=28)
    # Gateway logs: each session listens to one; an event is appended to every one.
    gateway_log_shards: int = Field(default=1, ge=1, le=16)
    # Concurrent @connections posts from one fan-out invocation.
    fanout_concurrency: int = Field(default=64, ge=1, le=1024)

    # ---------------------------------------------------------------- auth (docs/auth.md)
    # The public base URL of the HTTP API (no /api/v1), for OpenID redirect URIs: the custom
    # domain or ApiBaseUrl on AWS; empty - the domain each request came in on (auth function).
    public_url: str = "http://127.0.0.1:3000"
    # The `iss` of access tokens, which the JWT authorizer trusts (the template gives both the
    # same expression: the stack's issuer bucket on AWS, `<ApiBaseUrl>/api/v1` under `parley
    # dev`). Empty - `<public_url>/api/v1`.
    token_issuer: str = Field(default="", pattern=r"^$|^https?://[^/]+(/.*)?$")
    jwt_audience: str = "parley"
    access_token_ttl_s: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=3_600, le=365 * 86_400)
    bcrypt_cost: int = Field(default=12, ge=4, le=16)
    # Local only (set by `parley dev`): the signing keys are generated once into <data_dir>/keys.
    data_dir: Path | None = None
    # On AWS: the signing key set (a private JWK Set, JSON) in SSM Parameter Store (SecureString)
    # or in Secrets Manager, read through Powertools Parameters.
    signing_keys_parameter: str | None = None
    signing_keys_secret: str | None = None
    signing_keys_max_age_s: int = Field(default=300, ge=0, le=86_400)
    # OpenID providers by name, as JSON: {"name": {"issuer", "client_id", "client_secret"?}}.
    oidc_providers: dict[str, OidcProviderSettings] = Field(default_factory=dict)
    # On AWS: a Secrets Manager secret {"<provider name>": "<client secret>"} (auth/oidc_secrets.py)
    oidc_client_secrets_arn: str | None = None
    # Origins (scheme://host[:port]) a provider login may return its tokens to, besides the
    # public URL's own origin and loopback addresses (a desktop shell's local UI, RFC 8252).
    oidc_return_origins: list[str] = Field(default_factory=list)
    # Rate limits of the auth routes, "<capacity>/<seconds>" (shared/limits).
    rate_login_per_ip: str = Field(default="20/60", pattern=RATE_PATTERN)
    # Per account and caller together; per account alone, a ceiling only many callers reach.
    rate_login_per_account_ip: str = Field(default="5/60", pattern=RATE_PATTERN)
    rate_login_per_account: str = Field(default="100/600", pattern=RATE_PATTERN)
    rate_register_per_ip: str = Field(default="10/600", pattern=RATE_PATTERN)
    rate_register_per_account: str = Field(default="3/600", pattern=RATE_PATTERN)
    rate_refresh_per_ip: str = Field(default="60/60", pattern=RATE_PATTERN)
    # Messages a user may send in one channel (Discord's is 5 per 5 seconds), typing signals.
    rate_messages_per_channel: str = Field(default="5/5", pattern=RATE_PATTERN)
    rate_typing_per_channel: str = Field(default="1/5", pattern=RATE_PATTERN)
    # Presence changes (gateway op 3) a user may make, across their sessions.
    rate_presence_per_user: str = Field(default="5/20", pattern=RATE_PATTERN)
    # Per-user budgets of the route groups (shared/limits/per_user.py), replaced by group, as
    # JSON: {"dms.open": "10/600"}. A group the table does not know is refused when read.
    rate_limits: dict[str, Annotated[str, StringConstraints(pattern=RATE_PATTERN)]] = Field(
        default_factory=dict
    )
    # Frames one gateway connection may send in a fixed window (Discord: 120 per 60 s); past
    # it the connection is closed (4008, docs/protocol.md). Heartbeats count.
    gateway_frame_budget: str = Field(default="120/60", pattern=RATE_PATTERN)

    # ---------------------------------------------------------------- attachments
    # The private bucket browsers upload to with presigned POSTs (AttachmentsBucket).
    attachments_bucket: str = "parley-attachments"
    # The largest attachment, in bytes (Discord's free tier: 25 MiB); S3 itself enforces it.
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, le=5 * 1024**3)
    # How long a presigned upload may be used, and how long its pending record lives after.
    attachment_upload_ttl_s: int = Field(default=600, ge=10, le=86_400)
    attachment_pending_ttl_s: int = Field(default=86_400, ge=60, le=7 * 86_400)
    # How long a download URL in a message object works (re-signed on every read).
    attachment_url_ttl_s: int = Field(default=3_600, ge=60, le=7 * 86_400)
    # Upload requests a user may make in one channel.
    rate_attachments_per_channel: str = Field(default="20/60", pattern=RATE_PATTERN)

    # ---------------------------------------------------------------- link previews (unfurler)
    # Networks the unfurler may fetch from besides public addresses, on any port, as JSON
    # (["127.0.0.1/32"]): only for the local stack and tests serving pages from loopback.
    # Empty (the default) - public addresses on ports 80/443 only (shared/embeds).
    unfurl_allow_networks: list[str] = Field(default_factory=list)
    # One fetch's whole time (resolution, connection, redirects, body) and the bytes it reads.
    unfurl_timeout_s: float = Field(default=5.0, gt=0, le=30)
    unfurl_max_bytes: int = Field(default=1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    # How long a URL's preview (or its failure) is kept before the URL is fetched again.
    unfurl_cache_ttl_s: int = Field(default=3600, ge=1, le=7 * 86_400)

    # ---------------------------------------------------------------- voice (docs/voice.md)
    # The voice token signing key (JSON {"kid", "private_pem", "jwks"}): locally a file generated
    # once into <data_dir>/keys (its JWKS beside it, for the nodes); on AWS a SecureString
    # parameter or a secret, like the access tokens' keys.
    voice_keys_parameter: str | None = None
    voice_keys_secret: str | None = None
    voice_token_ttl_s: int = Field(default=60, ge=5, le=300)
    # A disconnected session leaves voice after this long (it may resume meanwhile).
    voice_disconnect_grace_s: float = Field(default=15.0, ge=0, le=600)
    # The voice watcher (a scheduled function, once a minute): while a room is occupied, how long
    # one invocation keeps watching and how often it checks (55 s, every 2 s: a dead node's rooms
    # move within 10 s). At rest an invocation is one pass. 0 = always one pass per invocation.
    voice_watch_span_s: float = Field(default=55.0, ge=0, le=840)
    voice_watch_period_s: float = Field(default=2.0, gt=0, le=60)
    # Calls to a media node's control API: timeout, attempts, and the circuit breaker per node.
    voice_control_timeout_s: float = Field(default=2.0, gt=0, le=30)
    voice_control_attempts: int = Field(default=3, ge=1, le=10)
    voice_breaker_fail_max: int = Field(default=5, ge=1, le=100)
    voice_breaker_reset_s: float = Field(default=30.0, gt=0, le=3600)
    # ---------------------------------------------------------------- client discovery
    # The gateway's public URL, answered by GET /gateway: the WebSocket API has its own host on
    # AWS (the template passes it); `parley dev` passes its own ws:// URL.
    gateway_url: str = Field(default="ws://127.0.0.1:3001/", pattern=r"^wss?://[^/]+")

    @property
    def jwt_issuer(self) -> str:
        """The ``iss`` of Parley's access tokens; its discovery document lives under it."""
        if self.token_issuer:
            return self.token_issuer.rstrip("/")
        return f"{self.public_url.rstrip('/')}/api/v1"


@cache
def get_settings() -> Settings:
    """The process's settings, validated once and then shared."""
    return Settings()
