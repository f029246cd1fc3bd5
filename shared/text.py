"""Whether decoded JSON holds only Unicode text.

JSON's ``\\ud800`` escape decodes to a lone surrogate: a Python string, but no Unicode text. It
cannot be encoded to UTF-8, so it fails wherever a value is written or signed (DynamoDB, a JWT's
check, the answer itself). Requests are refused at the edge instead, with the client's 400.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_unicode_text"]


def is_unicode_text(value: Any) -> bool:
    """True when every string in a decoded JSON value (keys too) encodes to UTF-8."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
