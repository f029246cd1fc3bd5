"""A custom guild emoji, its name rule, and the image it shows.

Names follow Discord: 2 to 32 characters of ``[A-Za-z0-9_]``, and they need not be unique in
a guild (an emoji is known by its id; ``<:name:id>`` and ``name:id`` carry both). An image is
PNG, GIF, WebP or JPEG, as its first bytes say (the declared type of the data URI is not
trusted), at most 256 KB decoded.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Final

from shared.errors import Invalid, PayloadTooLarge
from shared.guilds.domain.size_limits import MAX_EMOJIS

__all__ = [
    "EMOJI_NAME_MAX",
    "EMOJI_NAME_MIN",
    "IMAGE_MAX_BYTES",
    "MAX_EMOJIS",
    "Emoji",
    "Image",
    "check_name",
    "decode_image",
    "parse_reaction",
]

EMOJI_NAME_MIN: Final = 2
EMOJI_NAME_MAX: Final = 32
#: The largest image, decoded (Discord: 256 KiB).
IMAGE_MAX_BYTES: Final = 256 * 1024

_NAME = re.compile(r"[A-Za-z0-9_]{2,32}")
_REACTION = re.compile(r"a?:?([A-Za-z0-9_]{2,32}):([0-9]{1,20})")
_DATA_URI = re.compile(r"data:([a-z]+/[a-z0-9.+-]+)?(;[^,;]+)*;base64,", re.IGNORECASE)


def check_name(name: str) -> str:
    """The name, if it is 2 to 32 characters of letters, digits and underscores."""
    if not _NAME.fullmatch(name):
        raise Invalid(
            "An emoji name has 2 to 32 letters, digits or underscores.",
            code="invalid_emoji_name",
            errors={"name": "2 to 32 of A-Z, a-z, 0-9, _"},
        )
    return name


def parse_reaction(text: str) -> tuple[str, int] | None:
    """``(name, id)`` when a reaction names a custom emoji (``name:id``, Discord also accepts
    ``:name:id`` and ``a:name:id``); None for anything else (a unicode emoji, say)."""
    found = _REACTION.fullmatch(text)
    return None if found is None else (found.group(1), int(found.group(2)))


@dataclass(frozen=True, slots=True)
class Image:
    """Checked image bytes, their real content type, and whether they move."""

    data: bytes
    content_type: str
    animated: bool


def _kind(data: bytes) -> tuple[str, bool] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        # APNG: an animation control chunk comes before the first image data.
        head = data[: data.find(b"IDAT")] if b"IDAT" in data else data
        return "image/png", b"acTL" in head
    if data[:6] in (b"GIF87a", b"GIF89a"):
        # A looping extension, or more than one frame's graphic control block, means moving.
        return "image/gif", b"NETSCAPE2.0" in data or data.count(b"\x21\xf9\x04") > 1
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        # The extended header's flags byte has the animation bit (0x02).
        return "image/webp", data[12:16] == b"VP8X" and len(data) > 20 and bool(data[20] & 2)
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg", False
    return None


def decode_image(uri: str) -> Image:
    """The image of a ``data:image/…;base64,…`` URI, checked by its content."""
    head = _DATA_URI.match(uri)
    if head is None:
        raise Invalid(
            "The image is a data URI: data:image/png;base64,…",
            code="invalid_image",
            errors={"image": "not a base64 data URI"},
        )
    encoded = uri[head.end() :]
    # Refuse before decoding when even the shortest reading is too long.
    if len(encoded) // 4 * 3 - 2 > IMAGE_MAX_BYTES:
        raise _too_large()
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(
            "The image is not valid base64.",
            code="invalid_image",
            errors={"image": "not base64"},
        ) from exc
    if len(data) > IMAGE_MAX_BYTES:
        raise _too_large()
    kind = _kind(data)
    if kind is None:
        raise Invalid(
            "An emoji image is PNG, GIF, WebP or JPEG.",
            code="invalid_image",
            errors={"image": "not PNG, GIF, WebP or JPEG"},
        )
    return Image(data=data, content_type=kind[0], animated=kind[1])


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"An emoji image is at most {IMAGE_MAX_BYTES // 1024} KB.",
        code="emoji_too_large",
        errors={"image": f"at most {IMAGE_MAX_BYTES} bytes"},
    )


@dataclass(frozen=True, slots=True)
class Emoji:
    """A guild's custom emoji. ``user_id`` is who uploaded it."""

    id: int
    guild_id: int
    name: str
    animated: bool
    content_type: str
    user_id: int
    roles: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.name)

    @property
    def reaction(self) -> str:
        """How a reaction with it is stored and told: ``name:id``."""
        return f"{self.name}:{self.id}"

    def as_json(self) -> dict[str, Any]:
        """The emoji object of the REST API, GUILD_CREATE and GUILD_EMOJIS_UPDATE."""
        return {
            "id": str(self.id),
            "name": self.name,
            "roles": [str(r) for r in self.roles],
            "user": {"id": str(self.user_id)},
            "animated": self.animated,
            "available": True,
            "require_colons": True,
            "managed": False,
        }
