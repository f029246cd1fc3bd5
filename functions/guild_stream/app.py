"""The guild stream consumer: audit log entries, category clean-up and purge rounds, from the
table stream (a DynamoDB event source mapping with ReportBatchItemFailures).

Records are processed in order; a failed record is reported and the mapping retries from the
first failed one. Records after it may run twice, which is harmless: every step is idempotent
(entries keyed by event id, purge rounds conditioned on their number). What still fails after
the mapping's retries goes to its failure queue (`parley replay-stream-failures`).
"""

from __future__ import annotations

from shared.guilds.guild_stream import handle_record
from shared.stream_consumer import stream_consumer

lambda_handler = stream_consumer(handle_record, "stream record")
