"""The typed items of the single table: one polymorphic base, its GSI1, and error mapping.

Each entity module (guilds, channels, roles, ...) subclasses :class:`Entity` with a
discriminator, so one BatchGetItem or Query may return several kinds of item and each comes
back as its own class. Reads never filter by type after a ``Limit``: every query names a sort
key prefix instead (STYLE.md: "polymorphic queries filter after Limit").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.attributes import DiscriminatorAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from shared.errors import Unavailable
from shared.storage.table import ParleyItem

__all__ = ["Entity", "Gsi1", "connection", "store_errors"]


class Gsi1(GlobalSecondaryIndex["Entity"]):
    """The inverted index: member items by user (``USER#u``), invites by guild."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class Entity(ParleyItem):
    """Base of every guild-area item; ``type`` names the kind of item."""

    #: Its own cached connection, never ParleyItem's: pynamodb reuses an inherited one, whose
    #: meta-table (built from ParleyItem, which has no index) would refuse GSI1 queries.
    _connection = None

    kind = DiscriminatorAttribute(attr_name="type")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi1 = Gsi1()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """Every kind of item shares one connection, so one botocore client: creating a client
        (loading DynamoDB's service model) is most of a cold start, and pynamodb would
        otherwise make one per model class."""
        if cls is Entity:
            return super()._get_connection()
        return Entity._get_connection()


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
