"""GET /health: the store answers, and which version is running; GET /openapi.json."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.health.models import Health
from shared.config import get_settings
from shared.responses import answers
from shared.table.schema import ping_store

router = APIGatewayHttpRouter()


@router.get("/health", responses=answers(Health, "Up, and the store answers."))
def health() -> dict[str, str]:
    """The service is up and its store reachable (503 in the CONTRACT shape when not)."""
    ping_store()
    return {"status": "ok", "version": get_settings().version, "store": "ok"}


@router.get("/openapi.json")
def openapi() -> Response[dict[str, Any]]:
    """The OpenAPI 3 document of the REST API, generated from every area's handlers."""
    from functions.health.openapi import openapi_document  # the other areas: on request only

    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=openapi_document(),
        headers={"Cache-Control": "public, max-age=300"},
    )
