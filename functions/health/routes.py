"""GET /health: the store answers, and which version is running."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from shared.config import get_settings
from shared.storage.table import ping_store

router = APIGatewayHttpRouter()


@router.get("/health")
def health() -> dict[str, str]:
    """The service is up and its store reachable (503 in the CONTRACT shape when not)."""
    ping_store()
    return {"status": "ok", "version": get_settings().version, "store": "ok"}
