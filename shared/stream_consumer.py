"""The Lambda handler of a table stream consumer that takes its records one by one.

Powertools' batch processor calls ``handle_record`` for each record and answers with the ones
that raised (``batchItemFailures``; the event source mapping has ReportBatchItemFailures): the
mapping retries from the first of them, and every record before it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import instrumented, logger

__all__ = ["stream_consumer"]

StreamHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def stream_consumer(handle_record: Callable[[dict[str, Any]], str], what: str) -> StreamHandler:
    """A ``lambda_handler`` applying ``handle_record`` (which says what it did, or "ignored")
    to each record; what was done is logged under ``what``."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def _record(record: DynamoDBRecord) -> None:
        done = handle_record(record.raw_event)
        if done != "ignored":
            logger.debug(what, extra={"done": done, "event_id": record.event_id})

    @instrumented
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=_record, processor=processor, context=context
            )
        )

    return lambda_handler
