"""One TransactWriteItems, built from labelled operations, with its failures as domain errors.

Each operation carries the :class:`~shared.errors.ParleyError` to raise when *its* condition
fails, so a cancelled transaction becomes the one error that explains it (a used-up invite, a
ban, a limit) without matching on messages. DynamoDB's ``TransactionConflict`` (another
transaction on the same items) is retried (tenacity) with the same client token; a lasting
conflict is a 409. PynamoDB sends checks, deletes, puts and updates in that order; the
cancellation reasons follow it, and so does the mapping here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from shared.errors import Conflict, Invalid, ParleyError, Unavailable
from shared.observability import logger
from shared.table.entity import connection

__all__ = ["MAX_ITEMS", "StaleWrite", "Transaction"]

#: DynamoDB's limit of items in one transaction.
MAX_ITEMS = 100
_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}
_ATTEMPTS = 4


class StaleWrite(Conflict):
    """The item changed since it was read; the command may read again and retry."""

    code = "concurrent_change"


@dataclass(frozen=True)
class _Op:
    kind: Literal["check", "delete", "put", "update"]
    apply: Callable[[TransactWrite], None]
    on_fail: ParleyError | None


class Transaction:
    """Collect operations, then :meth:`commit` them all or none."""

    def __init__(self) -> None:
        self._ops: list[_Op] = []

    def __len__(self) -> int:
        return len(self._ops)

    def check(
        self,
        model: type[Model],
        hash_key: str,
        range_key: str,
        condition: Condition,
        on_fail: ParleyError,
    ) -> None:
        self._add(
            "check",
            lambda tw: tw.condition_check(model, hash_key, range_key, condition=condition),
            on_fail,
        )

    def put(
        self, item: Model, condition: Condition | None = None, on_fail: ParleyError | None = None
    ) -> None:
        self._add("put", lambda tw: tw.save(item, condition=condition), on_fail)

    def insert(self, item: Model, on_exists: ParleyError | None = None) -> None:
        """Put an item that must not exist yet: its key holds a new id, so an existing one is
        an id collision (two containers drew the same snowflake) the client may retry."""
        condition = type(item)._hash_key_attribute().does_not_exist()
        self.put(item, condition, on_exists or Invalid("Try again.", code="id_collision"))

    def update(
        self,
        item: Model,
        actions: list[Action],
        condition: Condition | None = None,
        on_fail: ParleyError | None = None,
    ) -> None:
        self._add(
            "update",
            lambda tw: tw.update(item, actions=actions, condition=condition),
            on_fail,
        )

    def delete(
        self, item: Model, condition: Condition | None = None, on_fail: ParleyError | None = None
    ) -> None:
        self._add("delete", lambda tw: tw.delete(item, condition=condition), on_fail)

    def _add(
        self,
        kind: Literal["check", "delete", "put", "update"],
        apply: Callable[[TransactWrite], None],
        on_fail: ParleyError | None,
    ) -> None:
        if len(self._ops) >= MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items")
        self._ops.append(_Op(kind, apply, on_fail))

    def commit(self) -> None:
        """Write everything or nothing; the failed operation's error when a condition fails."""
        if not self._ops:
            return
        ordered = sorted(self._ops, key=lambda op: _ORDER[op.kind])  # stable: keeps add order
        try:
            _commit(ordered, str(uuid.uuid4()))
        except _Contended as exc:
            raise Conflict("Too many concurrent changes; try again.", code="busy") from exc


class _Contended(Exception):
    """Another transaction held one of the items; worth another attempt."""


@retry(
    retry=retry_if_exception_type(_Contended),
    stop=stop_after_attempt(_ATTEMPTS),
    wait=wait_exponential_jitter(multiplier=0.02, max=0.3),
    reraise=True,
)
def _commit(ordered: list[_Op], token: str) -> None:
    """One attempt; the same client token makes a retried attempt idempotent."""
    try:
        with TransactWrite(connection=connection(), client_request_token=token) as tw:
            for op in ordered:
                op.apply(tw)
    except TransactWriteError as exc:
        codes = [r.code if r is not None else None for r in _reasons(exc)]
        for op, code in zip(ordered, codes, strict=False):
            if code == "ConditionalCheckFailed":
                raise op.on_fail or StaleWrite("The item changed; try again.") from exc
        if "TransactionConflict" in codes or exc.cause_response_code in (
            "TransactionConflictException",
            "TransactionInProgressException",
        ):
            raise _Contended from exc
        logger.warning("transaction refused", extra={"reasons": codes, "error": str(exc)})
        raise Unavailable("The store refused the change; try again.") from exc
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached; try again.") from exc


def _reasons(exc: TransactWriteError) -> list[Any]:
    try:
        return list(exc.cancellation_reasons)
    except (AttributeError, TypeError):
        return []
