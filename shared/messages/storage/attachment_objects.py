"""The attachments bucket: presigned uploads and downloads, and the checks a message makes.

Browsers talk to S3 directly with what this module signs; the function itself only reads an
object's size (HeadObject) and copies a used upload out of ``pending/`` (CopyObject). With
``AWS_ENDPOINT_URL`` set (the local stack's embedded store, LocalStack) requests are path-style,
``http://127.0.0.1:4566/<bucket>/<key>``, which a browser reaches without any DNS trick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.config import get_settings
from shared.errors import Unavailable
from shared.observability import logger

__all__ = [
    "DELETE_BATCH",
    "PresignedPost",
    "client",
    "copy",
    "delete",
    "download_url",
    "presign_upload",
    "size_of",
]

#: The most keys one DeleteObjects call takes (S3's limit).
DELETE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class PresignedPost:
    """Where a browser POSTs a multipart form, and the fields it sends before ``file``."""

    url: str
    fields: dict[str, str]


@cache
def client() -> Any:
    """One S3 client per container (creating one is most of a cold start)."""
    settings = get_settings()
    # Path-style behind an endpoint override: http://127.0.0.1:4566/<bucket>/<key>.
    addressing: Literal["path", "auto"] = "path" if settings.aws_endpoint_url else "auto"
    return boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=2,
            read_timeout=5,
        ),
    )


def presign_upload(key: str, content_type: str, size: int, expires_s: int) -> PresignedPost:
    """A presigned POST for exactly this object: S3 refuses another key, another content type,
    or a body of any other length than ``size`` (``content-length-range``), whatever the
    client claims."""
    settings = get_settings()
    try:
        signed = client().generate_presigned_post(
            Bucket=settings.attachments_bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", size, size],
            ],
            ExpiresIn=expires_s,
        )
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("Uploads cannot be signed now; try again.") from exc
    return PresignedPost(url=signed["url"], fields=dict(signed["fields"]))


def size_of(key: str) -> int | None:
    """The size of an uploaded object; None when nothing was uploaded under ``key``."""
    bucket = get_settings().attachments_bucket
    try:
        head = client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        if code in ("403", "AccessDenied", "Forbidden"):
            # S3 hides a missing key behind 403 from a role that may not list the bucket: the
            # deployment is wrong (the template grants s3:ListBucket on pending/), not the
            # request, so the client is not told its upload is missing when it may not be.
            logger.error(
                "the attachments bucket refused HeadObject: the role needs s3:GetObject on the"
                " key and s3:ListBucket on the bucket",
                extra={"bucket": bucket, "key": key},
            )
            raise Unavailable(
                "Attachments cannot be checked now; try again later.",
                code="attachments_unavailable",
            ) from exc
        raise Unavailable("The attachments store cannot be reached; try again.") from exc
    except BotoCoreError as exc:
        raise Unavailable("The attachments store cannot be reached; try again.") from exc
    return int(head["ContentLength"])


def copy(source: str, target: str, content_type: str) -> None:
    """Copy an upload to where a message keeps it, with its checked content type. Idempotent:
    the target key is the attachment's own, so a retry or a lost race writes the same bytes."""
    bucket = get_settings().attachments_bucket
    try:
        client().copy_object(
            Bucket=bucket,
            Key=target,
            CopySource={"Bucket": bucket, "Key": source},
            ContentType=content_type,
            MetadataDirective="REPLACE",
        )
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("The attachments store cannot be reached; try again.") from exc


def download_url(key: str, filename: str, content_type: str, expires_s: int) -> str:
    """A presigned GET that answers with the right type and file name (S3's response-*
    overrides), so what a browser shows never depends on what the uploader sent."""
    disposition = (
        "inline" if content_type.startswith(("image/", "audio/", "video/")) else ("attachment")
    )
    return str(
        client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": get_settings().attachments_bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": (
                    f"{disposition}; filename*=UTF-8''{quote(filename, safe='')}"
                ),
            },
            ExpiresIn=expires_s,
        )
    )


def delete(keys: Sequence[str]) -> None:
    """Delete these objects, at most :data:`DELETE_BATCH` keys per DeleteObjects call. A key
    that is already gone counts as deleted (S3 answers so), so a repeat does no harm; a key S3
    could not delete raises :class:`Unavailable`, for the caller to try again."""
    bucket = get_settings().attachments_bucket
    for start in range(0, len(keys), DELETE_BATCH):
        batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
        try:
            answer = client().delete_objects(
                Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
            )
        except (BotoCoreError, ClientError) as exc:
            raise Unavailable("The attachments store cannot be reached; try again.") from exc
        failed = answer.get("Errors") or []
        if failed:
            logger.error(
                "the attachments bucket did not delete some objects",
                extra={"bucket": bucket, "errors": failed[:10], "failed": len(failed)},
            )
            raise Unavailable("Some attachments could not be deleted; try again.")
