"""The guild stream consumer: audit log entries, category clean-up and purge rounds, from the
table stream (a DynamoDB event source mapping with ReportBatchItemFailures).

Records are processed in order; a failed record is reported and the mapping retries from the
first failed one. Records after it may run twice, which is harmless: every step is idempotent
(entries keyed by event id, purge rounds conditioned on their number). What still fails after
the mapping's retries goes to its failure queue (`parley replay-stream-failures`).
"""

from __future__ import annotations

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

from shared.guilds.guild_stream import handle_record
from shared.observability import instrumented, logger

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _record(record: DynamoDBRecord) -> None:
    done = handle_record(record.raw_event)
    if done != "ignored":
        logger.debug("stream record", extra={"done": done, "event_id": record.event_id})


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=_record, processor=processor, context=context
        )
    )
