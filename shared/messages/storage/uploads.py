"""Pending uploads: ``PK=CHANNEL#c, SK=UPLOAD#<attachment id>``, with a TTL.

An upload is recorded when its presigned POST is issued, so that a message can only carry
files its author asked to upload to its channel. The message's transaction deletes the record
under a condition (still there, same uploader, not expired): two messages racing for one
attachment cannot both win. Records of uploads never used vanish by TTL (reads check the time
themselves, since TTL deletes lazily).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from shared.errors import Invalid
from shared.messages.domain.attachment import Upload
from shared.table.entity import Entity, store_errors
from shared.table.keys import channel_pk, upload_sk
from shared.table.transaction import Transaction

__all__ = ["UploadRecord", "claim", "get_many", "insert", "unusable"]


class UploadRecord(Entity, discriminator="upload"):
    attachment_id = NumberAttribute()
    channel_id = NumberAttribute()
    uploader_id = NumberAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()


def unusable(attachment_id: int) -> Invalid:
    """The one answer for an attachment that is unknown, someone else's, expired or used."""
    return Invalid(
        "That attachment cannot be used.",
        code="invalid_attachment",
        errors={"attachments": {str(attachment_id): "unknown, expired or already used"}},
    )


def _to_upload(record: UploadRecord) -> Upload:
    return Upload(
        id=int(record.attachment_id),
        channel_id=int(record.channel_id),
        uploader_id=int(record.uploader_id),
        filename=record.filename,
        content_type=record.content_type,
        size=int(record.size),
    )


def insert(upload: Upload, expires_at: datetime) -> None:
    """Record an upload that was just granted (a fresh snowflake: never overwrites one)."""
    with store_errors():
        UploadRecord(
            channel_pk(upload.channel_id),
            upload_sk(upload.id),
            attachment_id=upload.id,
            channel_id=upload.channel_id,
            uploader_id=upload.uploader_id,
            filename=upload.filename,
            content_type=upload.content_type,
            size=upload.size,
            expires_at=expires_at,
        ).save(condition=UploadRecord.pk.does_not_exist())


def get_many(channel_id: int, attachment_ids: Iterable[int], now: datetime) -> dict[int, Upload]:
    """The unexpired uploads of a channel among ``attachment_ids``: one BatchGet."""
    wanted = list(dict.fromkeys(attachment_ids))
    if not wanted:
        return {}
    with store_errors():
        records = UploadRecord.batch_get([(channel_pk(channel_id), upload_sk(a)) for a in wanted])
        return {
            int(r.attachment_id): _to_upload(r)
            for r in records
            if isinstance(r, UploadRecord) and r.expires_at is not None and r.expires_at > now
        }


def claim(tx: Transaction, upload: Upload, user_id: int, now: datetime) -> None:
    """Use an upload up, in the message's transaction: fails if it is gone, expired, or not
    the user's, so an attachment belongs to one message at most."""
    tx.delete(
        UploadRecord(channel_pk(upload.channel_id), upload_sk(upload.id)),
        condition=UploadRecord.pk.exists()
        & (UploadRecord.uploader_id == user_id)
        & (UploadRecord.expires_at > now),
        on_fail=unusable(upload.id),
    )
