"""Attachment routes: a presigned upload for a file a message will carry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.messages.models import RequestUpload, UploadGrant
from shared.api import Snowflake, created
from shared.config import get_settings
from shared.http import caller_id
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit
from shared.limits.rest import caller_in_path, rate_limited
from shared.messages import attachments
from shared.messages.attachments import FileToUpload
from shared.responses import answers

router = APIGatewayHttpRouter()

UPLOADS_PER_CHANNEL = Limit(
    "attachments-per-channel", lambda: Rate.parse(get_settings().rate_attachments_per_channel)
)


@router.post(
    "/channels/<channel_id>/attachments",
    middlewares=[rate_limited((UPLOADS_PER_CHANNEL, caller_in_path("channel_id")))],
    status_code=201,
    responses=answers(UploadGrant, "Where to upload the file(s).", 201),
)
def request_upload(channel_id: Snowflake, body: RequestUpload) -> Response[Any]:
    """201 with presigned POSTs (url + form fields) to upload with: for one file
    ``{"filename", "content_type", "size"}``, or Discord's batch ``{"files": [...]}``."""
    channel, user, now = channel_id, caller_id(router), datetime.now(UTC)
    if body.files is not None:
        files = [(f.id, FileToUpload(f.filename, f.content_type, f.file_size)) for f in body.files]
        return created(attachments.request_uploads(channel, user, files, now))
    file = FileToUpload(body.filename or "", body.content_type or "", body.size or 0)
    return created(attachments.request_upload(channel, user, file, now))
