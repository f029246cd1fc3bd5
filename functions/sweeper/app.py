"""Lambda entry point of the gateway sweeper (a scheduled function)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway.lifecycle import sweep
from shared.observability import instrumented


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = sweep()
    return {
        "checked": report.checked,
        "closed": report.closed,
        "reconnects": report.reconnects,
        "failed": report.failed,
    }
