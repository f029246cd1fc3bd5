"""Every PK/SK string of the single table is built here and nowhere else.

See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

__all__ = [
    "HEALTH_PK",
    "MEDIA_NODES_PK",
    "connection_pk",
    "connection_sk",
    "media_node_sk",
]

#: The item the health check reads: a GetItem proves the table answers.
HEALTH_PK = "HEALTH"


def connection_pk(connection_id: str) -> str:
    """A gateway connection's own item."""
    return f"CONN#{connection_id}"


def connection_sk() -> str:
    """The sort key of a connection's own item."""
    return "CONN"


# ---------------------------------------------------------------- media node registry
#: The partition that holds one item per live media node: a Query lists them, never a Scan.
MEDIA_NODES_PK = "MEDIA_NODES"


def media_node_sk(node_id: str) -> str:
    """A media node's registry item (heartbeat: endpoint, region, capacity, load; TTL)."""
    return f"NODE#{node_id}"
