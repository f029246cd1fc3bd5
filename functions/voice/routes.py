"""GET /voice/regions: where voice can be served now (from the media node registry)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.voice.models import VoiceRegion
from shared.http import caller_id
from shared.responses import answers
from shared.voice import states as voice

router = APIGatewayHttpRouter()


@router.get("/voice/regions", responses=answers(list[VoiceRegion], "Least loaded first."))
def list_regions() -> list[dict[str, Any]]:
    """The regions with a live media node, the least loaded first (``optimal``)."""
    caller_id(router)
    return voice.regions()
