"""Attachments: grant a presigned upload, then let a message use what was really uploaded.

1. ``request_upload``: the caller may send and attach files in the channel; the file's type is
   allowed and its declared size within the limit. The upload is recorded (author, channel,
   size; TTL) and a presigned POST returned whose policy makes S3 refuse any other type or size.
2. ``prepare`` and ``claim``, inside ``send_message``: each id must be a recorded, unexpired
   upload of this author in this channel, and the object must be in the bucket with exactly
   the declared size (HeadObject). The object is copied under ``attachments/`` and the record
   deleted in the message's own transaction, so an attachment serves one message only.
3. ``discard``: once a message item is gone (deleted, or purged with its channel or guild), the
   table stream's consumer deletes its files: the stored copy and the upload it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.config import get_settings
from shared.errors import Invalid
from shared.guilds.access import Access, DmAccess, message_access
from shared.guilds.domain.permissions import Permission
from shared.ids import new_id
from shared.messages.domain.attachment import (
    Upload,
    check_content_type,
    check_size,
    clean_filename,
    pending_key,
    stored_key,
)
from shared.messages.domain.message import MAX_ATTACHMENTS, Attachment, Message
from shared.messages.storage import attachment_objects as objects
from shared.messages.storage import uploads
from shared.table.transaction import Transaction

__all__ = [
    "ATTACH",
    "FileToUpload",
    "claim",
    "discard",
    "prepare",
    "request_upload",
    "request_uploads",
    "signed",
]

#: What attaching a file takes in a channel.
ATTACH = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.ATTACH_FILES


@dataclass(frozen=True, slots=True)
class FileToUpload:
    """What a client says of a file before uploading it (S3 holds it to type and size)."""

    filename: str
    content_type: str
    size: int


def _grant(
    channel_id: int, user_id: int, files: Sequence[FileToUpload], now: datetime
) -> list[tuple[Upload, objects.PresignedPost]]:
    """Check every file, then the caller's permissions, then record and sign each upload."""
    settings = get_settings()
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(
            f"At most {MAX_ATTACHMENTS} files at once (what one message may carry).",
            code="too_many_attachments",
            errors={"files": f"{len(files)} > {MAX_ATTACHMENTS}"},
        )
    checked = [
        (clean_filename(f.filename), check_content_type(f.content_type), f.size) for f in files
    ]
    for _, _, size in checked:
        check_size(size, settings.attachment_max_bytes)
    message_access(channel_id, user_id, now).require(ATTACH)
    granted = []
    for name, media, size in checked:
        upload = Upload(new_id(), channel_id, user_id, name, media, size)
        post = objects.presign_upload(
            upload.pending_key, media, size, settings.attachment_upload_ttl_s
        )
        uploads.insert(upload, now + timedelta(seconds=settings.attachment_pending_ttl_s))
        granted.append((upload, post))
    return granted


def request_upload(
    channel_id: int, user_id: int, file: FileToUpload, now: datetime
) -> dict[str, Any]:
    """A presigned upload of one file to the channel, and the attachment id a message names."""
    ((upload, post),) = _grant(channel_id, user_id, [file], now)
    return {
        "attachment": {
            "id": str(upload.id),
            "filename": upload.filename,
            "content_type": upload.content_type,
            "size": upload.size,
        },
        "key": upload.pending_key,
        "upload": {"method": "POST", "url": post.url, "fields": post.fields},
        "expires_in": get_settings().attachment_upload_ttl_s,
    }


def request_uploads(
    channel_id: int, user_id: int, files: Sequence[tuple[str, FileToUpload]], now: datetime
) -> dict[str, Any]:
    """Discord's batch shape (the UI's): one slot per file, named by the client's own id; a
    message then names each upload by its ``upload_filename`` (the object key)."""
    granted = _grant(channel_id, user_id, [f for _, f in files], now)
    return {
        "attachments": [
            {
                "id": slot,
                "attachment_id": str(upload.id),
                "upload_url": post.url,
                "upload_filename": upload.pending_key,
                "upload_method": "POST",
                "upload_fields": post.fields,
            }
            for (slot, _), (upload, post) in zip(files, granted, strict=True)
        ]
    }


def _check_count(attachment_ids: Sequence[int]) -> None:
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise Invalid(
            f"A message carries at most {MAX_ATTACHMENTS} attachments.",
            code="too_many_attachments",
            errors={"attachments": f"{len(attachment_ids)} > {MAX_ATTACHMENTS}"},
        )
    if len(set(attachment_ids)) != len(attachment_ids):
        raise Invalid(
            "An attachment is listed twice.",
            code="duplicate_attachment",
            errors={"attachments": "duplicate ids"},
        )


def prepare(
    access: Access | DmAccess, user_id: int, attachment_ids: Sequence[int], now: datetime
) -> list[Upload]:
    """The uploads a new message may carry, checked and copied under ``attachments/``.

    Every failure is a 400 naming the attachment: unknown, someone else's, another channel's,
    expired, already used, never uploaded, or uploaded with another size. The copy is
    idempotent, so a message that then fails to commit leaves nothing wrong behind.
    """
    _check_count(attachment_ids)
    if not attachment_ids:
        return []
    access.require(ATTACH)
    found = uploads.get_many(access.channel_id, attachment_ids, now)
    ready = []
    for attachment_id in attachment_ids:
        upload = found.get(attachment_id)
        if upload is None or upload.uploader_id != user_id:
            raise uploads.unusable(attachment_id)
        size = objects.size_of(upload.pending_key)
        if size is None or size != upload.size:
            raise Invalid(
                "That attachment was not uploaded.",
                code="attachment_not_uploaded",
                errors={"attachments": {str(attachment_id): "not uploaded"}},
            )
        # Checked again, though S3 enforced it: a lowered limit holds for older uploads too.
        check_size(size, get_settings().attachment_max_bytes)
        ready.append(upload)
    for upload in ready:
        objects.copy(upload.pending_key, upload.stored_key, upload.content_type)
    return ready


def claim(
    tx: Transaction, ready: Sequence[Upload], user_id: int, now: datetime
) -> list[Attachment]:
    """Use the prepared uploads up in the message's transaction; the message's attachments."""
    for upload in ready:
        uploads.claim(tx, upload, user_id, now)
    return [
        Attachment(
            id=upload.id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            key=upload.stored_key,
        )
        for upload in ready
    ]


def signed(message: Message) -> Message:
    """The message with a fresh download URL on each attachment (signed links expire)."""
    if not message.attachments:
        return message
    ttl = get_settings().attachment_url_ttl_s
    return replace(
        message,
        attachments=[
            replace(a, url=objects.download_url(a.key, a.filename, a.content_type, ttl))
            for a in message.attachments
        ],
    )


def discard(channel_id: int, attachments: Sequence[Attachment]) -> int:
    """Delete the files of a message that is gone: each attachment's stored object and its
    original upload (S3's lifecycle rule would expire that within a day; a deleted file should
    not wait). Idempotent; how many objects were asked to go."""
    keys = []
    for a in attachments:
        keys.append(a.key or stored_key(channel_id, a.id, a.filename))
        keys.append(pending_key(channel_id, a.id, a.filename))
    objects.delete(keys)
    return len(keys)
