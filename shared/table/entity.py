"""The typed items of the single table: one polymorphic base, its GSI1, and error mapping.

Each entity module (guilds, channels, roles, ...) subclasses :class:`Entity` with a
discriminator, so one BatchGetItem or Query may return several kinds of item and each comes
back as its own class. Reads never filter by type after a ``Limit``: every query names a sort
key prefix instead (STYLE.md: "polymorphic queries filter after Limit").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from shared.errors import Unavailable
from shared.table.schema import ParleyItem

__all__ = ["Entity", "Gsi1", "connection", "get_item", "page_of_kind", "store_errors"]


class Gsi1(GlobalSecondaryIndex["Entity"]):
    """The inverted index: member items by user (``USER#u``), invites by guild."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class Entity(ParleyItem):
    """Base of every guild-area item; ``type`` names the kind of item."""

    kind = DiscriminatorAttribute(attr_name="type")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi1 = Gsi1()


def connection() -> Connection:
    """The low-level connection transactions use: the same client as every read."""
    return Entity._get_connection().connection


@contextmanager
def store_errors() -> Iterator[None]:
    """Any store failure not handled more precisely is a 503 the client may retry."""
    try:
        yield
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached; try again.") from exc


E = TypeVar("E", bound=Entity)


def get_item(model: type[E], pk: str, sk: str) -> E | None:
    """One item, read consistently (a command acts on what it reads); None when absent."""
    with store_errors():
        try:
            return model.get(pk, sk, consistent_read=True)
        except model.DoesNotExist:
            return None


def page_of_kind(model: type[E], pk: str, first_sk: str, prefix: str, limit: int) -> list[E]:
    """Up to ``limit`` items of one kind (sort keys from ``first_sk`` to the end of ``prefix``)
    of one partition, in sort key order: one consistent Query."""
    with store_errors():
        return list(
            model.query(
                pk,
                model.sk.between(first_sk, f"{prefix}~"),
                consistent_read=True,
                limit=limit,
                page_size=limit,
            )
        )
