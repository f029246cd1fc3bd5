"""The node's public address from the EC2 instance metadata service (IMDSv2).

An EC2 instance's public IPv4 is not on any of its interfaces: the VPC maps it 1:1 onto the
private address. The node asks the metadata service for it at start (``PARLEY_MEDIA_PUBLIC_IP=
ec2-metadata``) and announces it in its ICE candidates. IMDSv2 is a session: ``PUT
/latest/api/token`` gives a token that every ``GET /latest/meta-data/…`` must carry (the launch
template requires tokens, ``HttpTokens: required``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

import aiohttp

from media_nodes.config import MediaNodeSettings

__all__ = ["MetadataUnavailable", "fetch_metadata", "resolve_public_ip"]

log = logging.getLogger("parley.media.address")

TOKEN_PATH = "/latest/api/token"  # noqa: S105 - a URL path, not a secret
TOKEN_TTL_S = 60


class MetadataUnavailable(RuntimeError):
    """The instance metadata service did not answer what the node asked."""


async def fetch_metadata(
    endpoint: str, path: str, *, attempts: int = 3, timeout_s: float = 2.0
) -> str:
    """``GET /latest/meta-data/<path>`` with an IMDSv2 token; retried ``attempts`` times."""
    base = endpoint.rstrip("/")
    problem = "no attempt made"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for attempt in range(attempts):
            try:
                async with http.put(
                    base + TOKEN_PATH,
                    headers={"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_S)},
                ) as response:
                    response.raise_for_status()
                    token = await response.text()
                async with http.get(
                    f"{base}/latest/meta-data/{path}",
                    headers={"X-aws-ec2-metadata-token": token},
                ) as response:
                    response.raise_for_status()
                    return (await response.text()).strip()
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                log.warning("instance metadata %s, attempt %d: %s", path, attempt + 1, problem)
                await asyncio.sleep(0.5 * (attempt + 1))
    raise MetadataUnavailable(f"the instance metadata service at {base} gave no {path}: {problem}")


async def resolve_public_ip(settings: MediaNodeSettings) -> MediaNodeSettings:
    """``settings`` with ``public_ip`` filled in from the metadata service when it asks so."""
    if not settings.public_ip_pending:
        return settings
    text = await fetch_metadata(settings.ec2_metadata_endpoint, "public-ipv4")
    try:
        address = str(ipaddress.ip_address(text))
    except ValueError as exc:
        raise MetadataUnavailable(f"public-ipv4 is not an address: {text!r}") from exc
    log.info("public address from the instance metadata service: %s", address)
    return settings.model_copy(update={"public_ip": address})
