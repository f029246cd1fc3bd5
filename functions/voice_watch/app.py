"""Lambda entry point of the voice watcher (a scheduled function, docs/voice.md).

Each invocation makes one pass, and keeps watching (for up to ``voice_watch_span_s``) only while
a room is occupied: rooms of media nodes that stopped heartbeating move to a live node (their
participants get a new ``VOICE_SERVER_UPDATE``), and members whose gateway session went away
leave voice after the grace period.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import instrumented
from shared.voice.states import watch


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = watch()
    return {"rooms": report.rooms, "moved": report.moved, "told": report.told, "left": report.left}
