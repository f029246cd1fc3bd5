"""Posting to gateway connections through API Gateway's @connections management API.

Handlers use the ordinary boto3 ``apigatewaymanagementapi`` client whose endpoint is built from
the event's domain and stage, ``https://{domainName}/{stage}``, exactly as on AWS; the local
emulator serves the same API over TLS, with a certificate the functions' environment trusts
(``AWS_CA_BUNDLE``). Runs of frames to one connection go through the fan-out's kept poster
instead (same wire requests).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.config import get_settings
from shared.gateway.domain.protocol import Frame, encode
from shared.gateway.poster import Delivery, deliver, endpoint

__all__ = ["ConnectionGone", "close_connection", "management_client", "post_frame", "post_frames"]

# One attempt, short timeouts: a connection that does not answer is someone else's problem,
# and the fan-out must not stall behind it.
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=5
)


class ConnectionGone(Exception):
    """The connection is closed (API Gateway's GoneException, HTTP 410)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id


@cache
def management_client(domain_name: str, stage: str) -> Any:
    """The @connections client for one API's domain and stage, created once per container."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint(domain_name, stage),
        region_name=get_settings().aws_region,
        config=_CLIENT_CONFIG,
    )


def post_frame(domain_name: str, stage: str, connection_id: str, frame: Frame) -> None:
    """Send one frame to one connection; :class:`ConnectionGone` when it is closed."""
    client = management_client(domain_name, stage)
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=encode(frame))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "GoneException":
            raise ConnectionGone(connection_id) from exc
        raise


def close_connection(domain_name: str, stage: str, connection_id: str) -> None:
    """Close one connection (API Gateway closes its socket with 1000); one already closed is
    left as it is."""
    client = management_client(domain_name, stage)
    with contextlib.suppress(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=connection_id)


def post_frames(domain_name: str, stage: str, connection_id: str, frames: Sequence[Frame]) -> bool:
    """Send frames to one connection, in order, over one signed, pooled HTTP connection.

    Far cheaper than one boto3 call per frame (see shared/gateway/poster.py): a READY with its
    GUILD_CREATEs or a RESUME's replay is many frames. False when the connection is gone; the
    frames after that point were not sent.
    """
    if not frames:
        return True
    delivery = Delivery(
        connection_id, endpoint(domain_name, stage), [encode(frame) for frame in frames]
    )
    [result] = deliver([delivery])
    if result.failed:
        raise ConnectionError(f"posting to {connection_id} failed after {result.sent} frames")
    return not result.gone
