"""The single table's shape, as pynamodb sees it, and the store's health probe.

The table name and region come from settings; the endpoint from ``AWS_ENDPOINT_URL``, which
botocore reads itself, so no ``Meta.host`` is ever written.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.config import get_settings
from shared.errors import Unavailable
from shared.storage.keys import HEALTH_PK

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
