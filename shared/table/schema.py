"""The single table's shape, as pynamodb sees it, and the store's health probe.

The table name and region come from settings; the endpoint from ``AWS_ENDPOINT_URL``, which
botocore reads itself, so no ``Meta.host`` is ever written.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.constants import (
    ATTR_DEFINITIONS,
    ATTR_NAME,
    GLOBAL_SECONDARY_INDEXES,
    INDEX_NAME,
    KEY_SCHEMA,
)
from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.config import get_settings
from shared.errors import Unavailable
from shared.table.item_values import use_table_answer_parser
from shared.table.keys import HEALTH_PK

__all__ = ["ParleyItem", "ping_store", "transaction"]

_settings = get_settings()


class ParleyItem(Model):
    """The attributes every item of the single table carries."""

    class Meta:
        table_name = _settings.table_name
        region = _settings.aws_region
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = 2

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    expires_at = TTLAttribute(null=True, attr_name="expires_at")

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """One connection (one botocore client: building one is most of a cold start) for every
        item class, knowing every index.

        pynamodb builds a class's table metadata from that class's own indexes, and a subclass
        inherits its parent's connection when the parent connected first. So in a warm Lambda,
        whichever class happened to connect first decided which indexes every other could query
        ("Table … has no index: GSI1" after a transaction ran first). Here the one connection is
        ParleyItem's, and each class adds the indexes it declares to its metadata.
        """
        shared: TableConnection | None = ParleyItem.__dict__.get("_connection")
        if shared is None:
            shared = super(ParleyItem, ParleyItem)._get_connection()
            use_table_answer_parser(shared.connection.session)  # before its client exists
        meta = shared.get_meta_table().data
        indexes = meta.setdefault(GLOBAL_SECONDARY_INDEXES, [])
        if {index[INDEX_NAME] for index in indexes} >= {i[INDEX_NAME] for i in _indexes_of(cls)}:
            return shared
        for index in _indexes_of(cls):
            if all(index[INDEX_NAME] != known[INDEX_NAME] for known in indexes):
                indexes.append(index)
        attributes = meta.setdefault(ATTR_DEFINITIONS, [])
        for attribute in _key_attributes_of(cls):
            if all(attribute[ATTR_NAME] != known[ATTR_NAME] for known in attributes):
                attributes.append(attribute)
        return shared

    def update_if(self, actions: Sequence[Action], condition: Condition) -> bool:
        """Apply ``actions`` when ``condition`` holds; False (nothing written) when it does not.
        Any other failure of the store is raised."""
        try:
            self.update(actions=list(actions), condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


@cache
def _indexes_of(model: type[ParleyItem]) -> tuple[dict[str, Any], ...]:
    """The global secondary indexes a model class declares, as pynamodb's metadata holds them."""
    return tuple(
        {INDEX_NAME: index["index_name"], KEY_SCHEMA: index["key_schema"]}
        for index in model._get_schema()["global_secondary_indexes"]
    )


@cache
def _key_attributes_of(model: type[ParleyItem]) -> tuple[dict[str, Any], ...]:
    """The attribute definitions of a model's keys and index keys."""
    return tuple(dict(a) for a in model._get_schema()["attribute_definitions"])


def ping_store() -> None:
    """Prove the table answers (one GetItem); :class:`Unavailable` when it does not."""
    try:
        ParleyItem.get(HEALTH_PK, HEALTH_PK, consistent_read=False)
    except ParleyItem.DoesNotExist:
        return
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def transaction() -> TransactWrite:
    """A write transaction on the table's own connection (one client per container)."""
    return TransactWrite(connection=ParleyItem._get_connection().connection)
