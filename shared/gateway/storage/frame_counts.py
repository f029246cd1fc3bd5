"""How many frames a gateway connection sent in one window: one counter item per window.

One atomic ``ADD`` per frame, whose answer is the new count, so concurrent invocations of the
``$default`` route never count a frame twice or miss one. The item expires through the table's
TTL a minute after its window ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PynamoDBException

from shared.errors import Unavailable
from shared.table.keys import frame_window_key
from shared.table.schema import ParleyItem

__all__ = ["count_frame"]


class FrameWindowItem(ParleyItem):
    frames = NumberAttribute(attr_name="frames")


def count_frame(connection_id: str, window: int, window_ends_ms: int) -> int:
    """Count one frame in the connection's window; the window's count with it."""
    pk, sk = frame_window_key(connection_id, window)
    expires = datetime.fromtimestamp(window_ends_ms / 1000, UTC) + timedelta(minutes=1)
    try:
        item = FrameWindowItem(pk=pk, sk=sk)
        item.update(
            actions=[FrameWindowItem.frames.add(1), FrameWindowItem.expires_at.set(expires)]
        )
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc
    return int(item.frames)
