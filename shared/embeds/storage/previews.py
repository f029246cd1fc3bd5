"""The per-URL cache of link previews: ``PK=PREVIEW#<sha256 of the URL>``, ``SK=PREVIEW``.

An item holds the URL's embed (JSON; absent when the URL gave none: refused, failed, not a
page) and expires through the table's TTL; a read also ignores an item past its time, since
the TTL deletes lazily. One GetItem per URL, one PutItem per fetch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from shared.table.entity import Entity, get_item, store_errors
from shared.table.keys import preview_key

__all__ = ["Cached", "PreviewRecord", "cached", "remember"]


class PreviewRecord(Entity, discriminator="preview"):
    url = UnicodeAttribute()
    embed = UnicodeAttribute(null=True)  # JSON embed object; absent: the URL gave none


@dataclass(frozen=True, slots=True)
class Cached:
    """A URL's remembered outcome: its embed, or None when it gave none."""

    embed: dict[str, Any] | None


def _key(url: str) -> tuple[str, str]:
    return preview_key(hashlib.sha256(url.encode()).hexdigest())


def cached(url: str, now: datetime) -> Cached | None:
    """The URL's remembered outcome while it is fresh; None when it must be fetched."""
    record = get_item(PreviewRecord, *_key(url))
    if record is None or record.url != url:
        return None
    if record.expires_at is None or record.expires_at <= now:
        return None
    return Cached(None if record.embed is None else json.loads(record.embed))


def remember(url: str, embed: dict[str, Any] | None, now: datetime, ttl: timedelta) -> None:
    """Keep a URL's outcome (success or failure alike) for ``ttl``."""
    pk, sk = _key(url)
    with store_errors():
        PreviewRecord(
            pk,
            sk,
            url=url,
            embed=None if embed is None else json.dumps(embed),
            expires_at=now + ttl,
        ).save()
