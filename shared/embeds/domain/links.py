"""The links a message's content would be previewed for, as Discord picks them.

A link counts when it is an ``http``/``https`` URL outside code (inline spans and fenced
blocks) and not wrapped in angle brackets (``<https://…>``, Discord's way to suppress one
link's preview). At most :data:`MAX_EMBED_LINKS` distinct links, in the order they appear.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_EMBED_LINKS", "MAX_LINK_LENGTH", "find_links"]

MAX_EMBED_LINKS: Final = 5
MAX_LINK_LENGTH: Final = 2048

_CODE = re.compile(r"```.*?```|``[^`]+``|`[^`\n]+`", re.DOTALL)
_SUPPRESSED = re.compile(r"<https?://[^\s<>]+>", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s<>\"'`|]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*_~"


def _trim(link: str) -> str:
    """A link without the punctuation that ends the sentence around it; a closing
    parenthesis stays when the link opened one (Wikipedia's ``Foo_(bar)``)."""
    while link:
        unopened = link[-1] == ")" and link.count("(") < link.count(")")
        if link[-1] in _TRAILING or unopened:
            link = link[:-1]
        else:
            break
    return link


def find_links(content: str) -> list[str]:
    """The distinct links to preview, in order, at most :data:`MAX_EMBED_LINKS`."""
    text = _SUPPRESSED.sub(" ", _CODE.sub(" ", content))
    found: list[str] = []
    for match in _LINK.finditer(text):
        link = _trim(match.group(0))
        if len(link) <= len("https://") or len(link) > MAX_LINK_LENGTH or link in found:
            continue
        found.append(link)
        if len(found) == MAX_EMBED_LINKS:
            break
    return found
