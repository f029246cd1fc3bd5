"""Every PK/SK string of the single table is built here and nowhere else.

See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

__all__ = ["HEALTH_PK", "connection_pk", "connection_sk"]

#: The item the health check reads: a GetItem proves the table answers.
HEALTH_PK = "HEALTH"


def connection_pk(connection_id: str) -> str:
    """A gateway connection's own item."""
    return f"CONN#{connection_id}"


def connection_sk() -> str:
    """The sort key of a connection's own item."""
    return "CONN"
