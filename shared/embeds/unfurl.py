"""Unfurling: a message's links become its embeds, off the request path.

The unfurl function consumes the table stream: a message item inserted, or whose content
changed, has its links (``domain/links.py``: at most five, none in code or ``<…>``) fetched by
the SSRF-safe :class:`Fetcher` and turned into embeds (``domain/embed.py``). Each URL's outcome,
failures included, is cached for ``unfurl_cache_ttl_s`` (``storage/previews.py``), so a URL is
fetched at most once per period whatever links to it. The embeds are written to the message
only while it still has the content they were read from (a later edit, a deletion, or the
author's SUPPRESS_EMBEDS wins), in one transaction with an embeds-only MESSAGE_UPDATE
(``{"id", "channel_id", "guild_id"?, "embeds"}``, as Discord sends it: ``edited_timestamp``
does not change).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from shared.config import get_settings
from shared.embeds.domain.addresses import AddressPolicy
from shared.embeds.domain.embed import Embed, image_embed, oembed_embed, oembed_link, page_embed
from shared.embeds.domain.links import MAX_EMBED_LINKS, find_links
from shared.embeds.fetcher import Fetcher, FetchFailed, FetchLimits, Page
from shared.embeds.storage import previews
from shared.messages.storage import messages as message_store
from shared.observability import logger
from shared.outbox.domain.events import EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.transaction import Transaction

__all__ = ["default_fetcher", "handle_record", "preview"]

_HTML = ("text/html", "application/xhtml+xml")


@cache
def default_fetcher() -> Fetcher:
    """The fetcher the settings describe (read once per container)."""
    settings = get_settings()
    return Fetcher(
        policy=AddressPolicy.parse(settings.unfurl_allow_networks),
        limits=FetchLimits(
            timeout_s=settings.unfurl_timeout_s, max_bytes=settings.unfurl_max_bytes
        ),
    )


def _html_embed(fetcher: Fetcher, page: Page) -> Embed | None:
    html = page.body.decode(page.charset or "utf-8", errors="replace")
    embed = page_embed(page.url, html)
    if embed is not None:
        return embed
    endpoint = oembed_link(page.url, html)
    if endpoint is None:
        return None
    answer = fetcher.fetch(endpoint)
    try:
        data = json.loads(answer.body)
    except ValueError:
        return None
    return oembed_embed(page.url, data)


def _unfurl(fetcher: Fetcher, url: str) -> Embed | None:
    """A URL's embed, or None (refused, failed, or nothing to show)."""
    try:
        page = fetcher.fetch(url)
        if page.content_type.startswith("image/"):
            return image_embed(page.url)
        if page.content_type in _HTML:
            return _html_embed(fetcher, page)
    except FetchFailed as exc:
        logger.info("link not previewed", extra={"url": url, "reason": str(exc)})
    return None


def preview(url: str, fetcher: Fetcher, now: datetime) -> Embed | None:
    """A URL's embed: from the cache while fresh, else fetched and remembered (failures too)."""
    hit = previews.cached(url, now)
    if hit is not None:
        return hit.embed
    embed = _unfurl(fetcher, url)
    ttl = timedelta(seconds=get_settings().unfurl_cache_ttl_s)
    previews.remember(url, embed, now, ttl)
    return embed


def handle_record(record: dict[str, Any], fetcher: Fetcher | None = None) -> str:
    """Unfurl the message a stream record inserted or edited; what was done, for logs."""
    request = message_store.unfurl_request(record)
    if request is None:
        return "ignored"
    channel_id, message_id, guild_id, content, had_embeds = request
    links = find_links(content)
    if not links and not had_embeds:
        return "no links"
    now = datetime.now(UTC)
    chosen = fetcher or default_fetcher()
    with ThreadPoolExecutor(max_workers=MAX_EMBED_LINKS) as pool:
        found = list(pool.map(lambda url: preview(url, chosen, now), links))
    embeds = [e for e in found if e is not None]
    if not embeds and not had_embeds:
        return "no previews"
    data: dict[str, Any] = {"id": str(message_id), "channel_id": str(channel_id), "embeds": embeds}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    event = GatewayEvent(
        EventName.MESSAGE_UPDATE,
        guild_id,
        data,
        channel_id=channel_id,
        dm_channel_id=channel_id if guild_id is None else None,
    )
    tx = Transaction()
    message_store.set_embeds(tx, channel_id, message_id, content, embeds)
    outbox.emit(tx, event, now)
    try:
        tx.commit()
    except message_store.EmbedsOutdated:
        return "outdated"
    return f"{len(embeds)} embeds"
