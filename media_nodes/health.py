"""``python -m media_nodes.health``: exit 0 when this host's node answers ``GET /health`` with 200.

The container's health check: it reads the node's own settings (the same environment), so it
asks the address and port the node listens on, whatever the deployment chose.
"""

from __future__ import annotations

import ipaddress
import sys
import urllib.error
import urllib.request

from media_nodes.config import MediaNodeSettings

__all__ = ["health_url", "main"]


def health_url(settings: MediaNodeSettings) -> str:
    """Where the node's ``/health`` answers (loopback when it listens on every address)."""
    host = settings.host
    if ipaddress.ip_address(host).is_unspecified:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/health"


def main() -> int:
    try:
        with urllib.request.urlopen(health_url(MediaNodeSettings()), timeout=2) as response:  # noqa: S310 - http to the node itself
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"media node unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
