"""Lambda entry point of the fan-out: the table stream's consumer for gateway events.

It answers with the records it could not read (``batchItemFailures``; the event source
mapping has ReportBatchItemFailures): the mapping retries from the first of them, then sends
it to the fan-out's failure queue, and every other record goes on."""

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
                "unreadable": len(report.failures),
            },
        )
    return report.batch_item_failures()
