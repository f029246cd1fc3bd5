"""The unfurl function: link previews for new and edited messages, from the table stream (a
DynamoDB event source mapping filtered to message items, with ReportBatchItemFailures).

A record whose unfurling fails (the store unreachable) is reported and retried by the mapping;
a link that cannot be fetched is no failure: its empty outcome is cached like any other.
"""

from __future__ import annotations

from shared.embeds.unfurl import handle_record
from shared.stream_consumer import stream_consumer

lambda_handler = stream_consumer(handle_record, "unfurl")
