"""The rate limiter's buckets in the single table, updated with optimistic concurrency.

Each take reads the bucket (strongly consistent), decides, and writes the new state on the
condition that nobody wrote since the read (its ``version`` unchanged, or the item still absent).
A lost race is retried on fresh state, so concurrent Lambdas never spend the same token twice.
Buckets expire through the table's TTL once they would be full again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PutError, PynamoDBException

from shared.errors import Unavailable
from shared.limits.domain.bucket import BucketState, Decision, Rate
from shared.table.keys import rate_bucket_key
from shared.table.schema import ParleyItem

__all__ = ["take_token"]

MAX_ATTEMPTS = 8


class BucketItem(ParleyItem):
    tokens = NumberAttribute(attr_name="tokens")
    updated_ms = NumberAttribute(attr_name="updated_ms")
    version = NumberAttribute(attr_name="version")


def take_token(
    bucket: str,
    subject: str,
    rate: Rate,
    decide: Callable[[Rate, BucketState | None, int], Decision],
) -> Decision:
    """Apply ``decide`` to the stored bucket and store its outcome, retrying lost races."""
    pk, sk = rate_bucket_key(bucket, subject)
    for _ in range(MAX_ATTEMPTS):
        try:
            item = BucketItem.get(pk, sk, consistent_read=True)
            previous: BucketState | None = BucketState(float(item.tokens), int(item.updated_ms))
            version = int(item.version)
        except BucketItem.DoesNotExist:
            previous, version = None, 0
        except PynamoDBException as exc:
            raise Unavailable("The store cannot be reached.") from exc
        now_ms = int(time.time() * 1000)
        decision = decide(rate, previous, now_ms)
        if not decision.allowed:
            return decision
        new = BucketItem(
            pk=pk,
            sk=sk,
            tokens=decision.state.tokens,
            updated_ms=decision.state.updated_ms,
            version=version + 1,
            expires_at=datetime.now(UTC) + timedelta(seconds=decision.reset_after_s + 60),
        )
        condition = (
            BucketItem.pk.does_not_exist() if previous is None else BucketItem.version == version
        )
        try:
            new.save(condition=condition)
            return decision
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise Unavailable("The store cannot be reached.") from exc
    raise Unavailable("The rate limiter is too contended; try again.", code="rate_limiter_busy")
