"""Attachments: which files may be uploaded, under which object keys, and how big.

Pure rules. A browser uploads a file straight to the attachments bucket with a presigned POST
whose policy S3 itself enforces (the content type and the exact size declared here), so the
function never carries file bytes. The upload lands under ``pending/`` (the bucket expires what
stays there); a message that uses it copies it under ``attachments/``, where it lives on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from shared.errors import Invalid, PayloadTooLarge

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "MAX_FILENAME",
    "AttachmentTooLarge",
    "Upload",
    "attachment_id_of_key",
    "check_content_type",
    "check_size",
    "clean_filename",
    "pending_key",
    "stored_key",
]

MAX_FILENAME: Final = 255

#: What may be attached: media a chat client shows or plays inline, documents, archives.
#: Nothing a browser would run as a page or script (HTML, SVG, JavaScript) is on the list.
ALLOWED_CONTENT_TYPES: Final = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "audio/aac",
        "audio/flac",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/json",
        "text/plain",
        "text/markdown",
        "text/csv",
    }
)

_UNSAFE = re.compile(r"[^\w.\- ()\[\]+,@]")


class AttachmentTooLarge(PayloadTooLarge):
    code = "attachment_too_large"


def clean_filename(filename: str) -> str:
    """The name a file is stored and shown under: its last path part, printable, at most 255
    characters. :class:`Invalid` when nothing is left (``""``, ``".."``, ``"/"``)."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        raise Invalid(
            "The file needs a name.", code="invalid_filename", errors={"filename": "empty"}
        )
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 16 else ""
        name = (stem if keep else name)[: MAX_FILENAME - len(keep) - (1 if keep else 0)]
        name = f"{name}.{keep}" if keep else name
    return name


def check_content_type(content_type: str) -> str:
    """The content type, lower-cased and without parameters; :class:`Invalid` if not allowed."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ALLOWED_CONTENT_TYPES:
        raise Invalid(
            "That kind of file cannot be attached.",
            code="content_type_not_allowed",
            errors={"content_type": f"{media or 'empty'} is not allowed"},
        )
    return media


def check_size(size: int, max_bytes: int) -> int:
    """The size, when ``0 <= size <= max_bytes``; 413 above the limit."""
    if size < 0:
        raise Invalid("A size is not negative.", errors={"size": "negative"})
    if size > max_bytes:
        raise AttachmentTooLarge(
            f"An attachment is at most {max_bytes} bytes.",
            errors={"size": f"{size} > {max_bytes}"},
        )
    return size


def pending_key(channel_id: int, attachment_id: int, filename: str) -> str:
    """Where the browser uploads: under ``pending/``, which the bucket expires after a day."""
    return f"pending/{channel_id}/{attachment_id}/{filename}"


def stored_key(channel_id: int, attachment_id: int, filename: str) -> str:
    """Where a used attachment lives, beside its channel's other files."""
    return f"attachments/{channel_id}/{attachment_id}/{filename}"


_PENDING_KEY = re.compile(r"^pending/\d{1,20}/(\d{1,20})/[^/]+$")


def attachment_id_of_key(key: str) -> int:
    """The attachment a ``pending_key`` belongs to (Discord-style clients name an upload by the
    key they were given); ValueError when ``key`` is not one."""
    match = _PENDING_KEY.match(key)
    if match is None:
        raise ValueError("not an upload key")
    value = int(match.group(1))
    if value >= 1 << 63:
        raise ValueError("not an upload key")
    return value


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload a user asked for: theirs alone to attach, in this channel only."""

    id: int
    channel_id: int
    uploader_id: int
    filename: str
    content_type: str
    size: int

    @property
    def pending_key(self) -> str:
        return pending_key(self.channel_id, self.id, self.filename)

    @property
    def stored_key(self) -> str:
        return stored_key(self.channel_id, self.id, self.filename)
