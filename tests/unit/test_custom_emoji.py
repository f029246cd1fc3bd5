"""The custom emoji rules: names, images by their content, reactions naming one."""

from __future__ import annotations

import pytest

from shared.emojis.domain.emoji import IMAGE_MAX_BYTES, check_name, decode_image, parse_reaction
from shared.errors import Invalid, PayloadTooLarge
from shared.messages.domain.message import reaction_emoji
from tests.images import data_uri, png


def test_a_png_is_a_still_png_whatever_the_uri_declares() -> None:
    image = decode_image(data_uri(png(), "image/webp"))
    assert (image.content_type, image.animated) == ("image/png", False)
    assert image.data == png()


@pytest.mark.parametrize(
    ("data", "kind", "animated"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x08acTL" + b"\0" * 8 + b"IDAT", "image/png", True),
        (b"\x89PNG\r\n\x1a\n" + b"IDAT" + b"acTL", "image/png", False),
        (b"RIFF\0\0\0\0WEBPVP8X" + b"\0" * 4 + b"\x02" + b"\0" * 9, "image/webp", True),
        (b"RIFF\0\0\0\0WEBPVP8X" + b"\0" * 4 + b"\x10" + b"\0" * 9, "image/webp", False),
        (b"GIF87a" + b"\x21\xf9\x04" * 2, "image/gif", True),
        (b"\xff\xd8\xff\xdb" + b"\0" * 4, "image/jpeg", False),
    ],
)
def test_kinds_and_motion_come_from_the_bytes(data: bytes, kind: str, animated: bool) -> None:
    image = decode_image(data_uri(data, "application/octet-stream"))
    assert (image.content_type, image.animated) == (kind, animated)


def test_the_size_limit_is_on_the_decoded_bytes() -> None:
    header = b"\x89PNG\r\n\x1a\n"
    exactly = header + b"\0" * (IMAGE_MAX_BYTES - len(header))
    assert len(decode_image(data_uri(exactly)).data) == IMAGE_MAX_BYTES
    with pytest.raises(PayloadTooLarge):
        decode_image(data_uri(exactly + b"\0"))
    with pytest.raises(PayloadTooLarge):  # refused before decoding
        decode_image("data:image/png;base64," + "A" * (IMAGE_MAX_BYTES * 2))


@pytest.mark.parametrize("name", ["ab", "A" * 32, "under_score", "x9"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["a", "A" * 33, "a b", "a:b", "<b>", "ünï", "a\n"])
def test_bad_names(name: str) -> None:
    with pytest.raises(Invalid):
        check_name(name)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("party:123", ("party", 123)),
        (":party:123", ("party", 123)),
        ("a:party:123", ("party", 123)),
        ("👍", None),
        ("party", None),
        ("p:123", None),
        ("party:12x", None),
        ("<:party:123>", None),
    ],
)
def test_reactions_naming_a_custom_emoji(text: str, parsed: tuple[str, int] | None) -> None:
    assert parse_reaction(text) == parsed


def test_a_reaction_object_names_a_custom_emoji_by_id_and_name() -> None:
    assert reaction_emoji("party:123") == {"id": "123", "name": "party"}
    assert reaction_emoji("👍") == {"id": None, "name": "👍"}
