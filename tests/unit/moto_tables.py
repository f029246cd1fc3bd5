"""The PK/SK tables the embedded-store patches are tested on (moto, in process)."""

from __future__ import annotations

from typing import Any

__all__ = ["EVERY_TYPE", "STREAM", "gsi", "pk_sk_table"]

#: Item values of every attribute type DynamoDB has, nested too (an item's keys aside).
EVERY_TYPE: dict[str, Any] = {
    "s": {"S": 'héllo \u2603 👋 "quoted"'},
    "empty": {"S": ""},
    "n": {"N": "-12345678901234567890.000000000000000001"},
    "f": {"N": "-1.5"},
    "b": {"B": b"\x00\xff\xfe binary"},
    "t": {"BOOL": True},
    "no": {"BOOL": False},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "m": {
        "M": {
            "deep": {"L": [{"S": "x"}, {"B": b"\x04"}, {"M": {"deeper": {"NULL": True}}}]},
            "none": {"M": {}},
            "list": {"L": []},
        }
    },
}

#: A stream with both images, as the project's table has.
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def gsi(name: str, hash_key: str, range_key: str) -> dict[str, Any]:
    """A global secondary index projecting every attribute."""
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def pk_sk_table(
    dynamodb: Any, name: str, *, indexes: tuple[dict[str, Any], ...] = (), **extra: Any
) -> None:
    """A pay-per-request table keyed by string ``PK`` and ``SK``, with ``indexes``; ``extra``
    goes to CreateTable as it is (a ``StreamSpecification``, say)."""
    keys = ["PK", "SK"] + [k["AttributeName"] for i in indexes for k in i["KeySchema"]]
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
        **({"GlobalSecondaryIndexes": list(indexes)} if indexes else {}),
        **extra,
    )
