"""Emoji images in the attachments bucket, under ``emojis/<id>``.

The function writes the checked bytes itself (they are at most 256 KB, well inside a request),
with their real content type; a browser reads them through ``GET /emojis/{id}``, which answers
with a presigned GET of the object (signed afresh on every request, so the link a client builds
from the id never expires).
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from shared.config import get_settings
from shared.emojis.domain.emoji import Image
from shared.errors import Unavailable
from shared.messages.storage import attachment_objects

__all__ = ["delete", "download_url", "key_of", "put"]


def key_of(emoji_id: int) -> str:
    return f"emojis/{emoji_id}"


def put(emoji_id: int, image: Image) -> None:
    """Store the image (idempotent: the key is the emoji's own)."""
    try:
        attachment_objects.client().put_object(
            Bucket=get_settings().attachments_bucket,
            Key=key_of(emoji_id),
            Body=image.data,
            ContentType=image.content_type,
            CacheControl="public, max-age=86400",
        )
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("The image store cannot be reached; try again.") from exc


def delete(emoji_id: int) -> None:
    """Remove the image; a missing one counts as removed."""
    attachment_objects.delete([key_of(emoji_id)])


def download_url(emoji_id: int, expires_s: int) -> str:
    """A presigned GET of the image; it answers 404 once the emoji is deleted."""
    return str(
        attachment_objects.client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": get_settings().attachments_bucket,
                "Key": key_of(emoji_id),
                "ResponseContentDisposition": "inline",
            },
            ExpiresIn=expires_s,
        )
    )
