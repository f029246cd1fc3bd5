"""Lambda entry point of the fan-out: the table stream's consumer for gateway events."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.gateway.directory import set_directory
from shared.gateway.fanout import handle_records
from shared.gateway.fanout_metrics import record_batch
from shared.gateway.store_directory import StoreDirectory
from shared.observability import instrumented, logger

set_directory(StoreDirectory())


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = handle_records(event.get("Records") or [])
    record_batch(report, event.get("Records") or [])
    if report.sequenced or report.delivered or report.gone:
        logger.info(
            "fan-out",
            extra={
                "sequenced": report.sequenced,
                "delivered": report.delivered,
                "gone": len(report.gone),
                "failed": report.failed,
            },
        )
    return {}
