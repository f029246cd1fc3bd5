"""What a fetched page becomes: Discord's embed object, from the page's Open Graph, Twitter
card and ``<title>``/``<meta name="description">`` tags (and, for a page that only points to
one, the oEmbed endpoint it names).

An embed is ``{"type": "link"|"article"|"image", "url", "title"?, "description"?,
"thumbnail"? {"url", "width"?, "height"?}, "provider"? {"name"}, "color"?}``; a page with
neither a title, a description nor an image gives none.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_TITLE",
    "Embed",
    "image_embed",
    "oembed_embed",
    "oembed_link",
    "page_embed",
]

Embed = dict[str, Any]

MAX_TITLE: Final = 256
MAX_DESCRIPTION: Final = 350
MAX_PROVIDER: Final = 256
_COLOR = re.compile(r"^#([0-9a-fA-F]{6})$")
_SIZE = re.compile(r"^\d{1,5}$")


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _web_link(base: str, link: str | None) -> str | None:
    """An absolute http(s) link (relative ones resolved against the page), or None."""
    if not link:
        return None
    absolute = urljoin(base, link.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """The first value of each ``<meta property|name=…>``, names lower-cased."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = tag.get("property") or tag.get("name")
        content = tag.get("content")
        if isinstance(name, str) and isinstance(content, str):
            found.setdefault(name.strip().lower(), content)
    return found


def _size(value: str | None) -> int | None:
    return int(value) if value and _SIZE.match(value.strip()) else None


def page_embed(url: str, html: str) -> Embed | None:
    """The embed of an HTML page fetched from ``url`` (after redirects), or None."""
    soup = BeautifulSoup(html, "html.parser")
    meta = _meta(soup)
    title_tag = soup.find("title")
    title = _clip(
        meta.get("og:title")
        or meta.get("twitter:title")
        or (title_tag.get_text() if title_tag is not None else None),
        MAX_TITLE,
    )
    description = _clip(
        meta.get("og:description") or meta.get("twitter:description") or meta.get("description"),
        MAX_DESCRIPTION,
    )
    image = _web_link(
        url, meta.get("og:image:secure_url") or meta.get("og:image") or meta.get("twitter:image")
    )
    if not (title or description or image):
        return None
    canonical = _web_link(url, meta.get("og:url")) or url
    embed: Embed = {"type": "article" if meta.get("og:type") == "article" else "link"}
    embed["url"] = canonical
    if title:
        embed["title"] = title
    if description:
        embed["description"] = description
    if image:
        thumbnail: dict[str, Any] = {"url": image}
        width, height = _size(meta.get("og:image:width")), _size(meta.get("og:image:height"))
        if width and height:
            thumbnail |= {"width": width, "height": height}
        embed["thumbnail"] = thumbnail
    provider = _clip(meta.get("og:site_name") or meta.get("twitter:site"), MAX_PROVIDER)
    if provider:
        embed["provider"] = {"name": provider}
    color = _COLOR.match((meta.get("theme-color") or "").strip())
    if color:
        embed["color"] = int(color.group(1), 16)
    return embed


def oembed_link(url: str, html: str) -> str | None:
    """The JSON oEmbed endpoint a page names (``<link rel="alternate"
    type="application/json+oembed">``), for a page with no tags of its own."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all("link"):
        rel = tag.get("rel")
        kind = tag.get("type")
        if rel is not None and "alternate" in rel and kind == "application/json+oembed":
            href = tag.get("href")
            return _web_link(url, href if isinstance(href, str) else None)
    return None


def oembed_embed(url: str, data: Any) -> Embed | None:
    """The embed of an oEmbed answer (``title``, ``provider_name``, ``thumbnail_url``…)."""
    if not isinstance(data, dict):
        return None

    def text(name: str, limit: int) -> str | None:
        value = data.get(name)
        return _clip(value, limit) if isinstance(value, str) else None

    title = text("title", MAX_TITLE)
    thumbnail = data.get("thumbnail_url")
    image = _web_link(url, thumbnail if isinstance(thumbnail, str) else None)
    if not (title or image):
        return None
    embed: Embed = {"type": "link", "url": url}
    if title:
        embed["title"] = title
    if image:
        embed["thumbnail"] = {"url": image}
        width, height = data.get("thumbnail_width"), data.get("thumbnail_height")
        if isinstance(width, int) and isinstance(height, int):
            embed["thumbnail"] |= {"width": width, "height": height}
    provider = text("provider_name", MAX_PROVIDER)
    if provider:
        embed["provider"] = {"name": provider}
    return embed


def image_embed(url: str) -> Embed:
    """The embed of a link that is itself an image."""
    return {"type": "image", "url": url, "thumbnail": {"url": url}}
