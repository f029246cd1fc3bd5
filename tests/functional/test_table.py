"""The single table as template.yaml declares it, and pynamodb's view of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from shared.config import get_settings
from shared.errors import Unavailable
from shared.table.keys import HEALTH_PK, connection_pk, connection_sk
from shared.table.schema import ParleyItem, ping_store


def test_table_is_built_from_the_template(table: str) -> None:
    client = boto3.client("dynamodb", region_name=get_settings().aws_region)
    described = client.describe_table(TableName=table)["Table"]

    assert {k["AttributeName"]: k["KeyType"] for k in described["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    assert [index["IndexName"] for index in described["GlobalSecondaryIndexes"]] == ["GSI1"]
    assert described["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert not described.get("LocalSecondaryIndexes")
    ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


@pytest.mark.usefixtures("table")
def test_items_round_trip_with_their_expiry() -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    ParleyItem(connection_pk("abc="), connection_sk(), expires_at=expires).save()

    item = ParleyItem.get(connection_pk("abc="), connection_sk())
    assert (item.pk, item.sk) == ("CONN#abc=", "CONN")
    assert item.expires_at == expires


@pytest.mark.usefixtures("table")
def test_the_tables_client_reads_items_with_the_shortcut(values_read: list[Any]) -> None:
    ParleyItem(connection_pk("abc="), connection_sk()).save()
    assert values_read == []  # nothing read
    assert ParleyItem.get(connection_pk("abc="), connection_sk()).pk == "CONN#abc="
    assert values_read == [{"S": "CONN#abc="}, {"S": "CONN"}]  # the item read


@pytest.mark.usefixtures("table")
def test_ping_store_answers_with_or_without_the_probe_item() -> None:
    ping_store()
    ParleyItem(HEALTH_PK, HEALTH_PK).save()
    ping_store()


@pytest.mark.usefixtures("no_table")
def test_ping_store_without_the_table_is_unavailable() -> None:
    with pytest.raises(Unavailable) as caught:
        ping_store()
    assert caught.value.code == "unavailable"


@pytest.mark.parametrize("first", ["transaction", "session", "member"])
def test_every_item_class_queries_its_index_whichever_connected_first(first: str) -> None:
    """A warm Lambda keeps one connection; the class that made it must not decide which
    indexes the others may query (it did: "Table … has no index: GSI1" after a transaction)."""
    from shared.gateway.storage import sessions
    from shared.guilds.storage import members
    from shared.table.entity import Entity
    from shared.table.schema import transaction

    {
        "transaction": lambda: transaction(),
        "session": lambda: sessions.SessionItem._get_connection(),
        "member": lambda: Entity._get_connection(),
    }[first]()
    assert members.guild_ids_of(7, after=0, before=None, limit=10) == []
    assert list(sessions.live_sessions(0)) == []
    assert ParleyItem._get_connection() is Entity._get_connection()
