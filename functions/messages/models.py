"""Request bodies of the message routes (the message rules themselves live in the domain),
and the upload grants they answer with."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictInt, field_validator, model_validator

from shared.api import RequestBody, Snowflake
from shared.ids import parse_id, validate_id
from shared.messages.domain.attachment import attachment_id_of_key
from shared.responses import Id, ResponseBody


class AttachmentRef(RequestBody):
    """An attachment as Discord-style clients name it: ``{"id", "filename", "uploaded_filename"}``
    where ``uploaded_filename`` is the key the upload was granted (``id`` is then the client's
    own slot id); without it, ``id`` is the attachment's snowflake."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=32)
    filename: str | None = Field(default=None, max_length=1024)
    uploaded_filename: str | None = Field(default=None, max_length=2048)

    @field_validator("uploaded_filename")
    @classmethod
    def _is_an_upload_key(cls, value: str | None) -> str | None:
        if value is not None:
            attachment_id_of_key(value)
        return value

    @model_validator(mode="after")
    def _names_an_attachment(self) -> AttachmentRef:
        if self.uploaded_filename is None:
            validate_id(self.id)  # in the wrong form: ``invalid_id``, as any id sent
        return self

    def attachment_id(self) -> int:
        if self.uploaded_filename is not None:
            return attachment_id_of_key(self.uploaded_filename)
        return parse_id(self.id)


class SendMessage(RequestBody):
    model_config = ConfigDict(extra="forbid")

    # The 2,000 limit is the domain's, with its own error; empty is fine with attachments.
    content: str = Field(default="", max_length=4000)
    reply_to: Snowflake | None = None
    # Attachment ids (or Discord-style references). The count limit (10) is the domain's, with
    # its own error; this only bounds the parsing.
    attachments: list[Snowflake | AttachmentRef] = Field(default_factory=list, max_length=100)

    def attachment_ids(self) -> list[int]:
        return [a if isinstance(a, int) else a.attachment_id() for a in self.attachments]


class EditMessage(RequestBody):
    """A new content, new flags (``SUPPRESS_EMBEDS`` = 4 hides the link previews), or both."""

    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(default=None, max_length=4000)
    flags: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _changes_something(self) -> EditMessage:
        if self.content is None and self.flags is None:
            raise ValueError("give content, flags or both")
        return self


class FileSlot(RequestBody):
    """One file of a Discord-style batch: the client's own ``id`` for it, name, size, type."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=32)
    filename: str = Field(min_length=1, max_length=1024)
    file_size: StrictInt = Field(ge=0)
    content_type: str = Field(min_length=1, max_length=255)


class RequestUpload(RequestBody):
    """The file(s) a client is about to upload: one as ``{"filename", "content_type", "size"}``
    (exact size in bytes), or Discord's batch ``{"files": [...]}``, which the UI sends."""

    model_config = ConfigDict(extra="forbid")

    filename: str | None = Field(default=None, min_length=1, max_length=1024)
    content_type: str | None = Field(default=None, min_length=1, max_length=255)
    size: StrictInt | None = Field(default=None, ge=0)
    # At most 10 (a message's limit) is the domain's, with its own error.
    files: list[FileSlot] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_shape(self) -> RequestUpload:
        single = (self.filename, self.content_type, self.size)
        if self.files is None and any(v is None for v in single):
            raise ValueError("give filename, content_type and size (or files)")
        if self.files is not None and any(v is not None for v in single):
            raise ValueError("give either files or one file's fields, not both")
        return self


class PendingAttachment(ResponseBody):
    id: Id
    filename: str
    content_type: str
    size: int


class PresignedPost(ResponseBody):
    """Where and how to upload: a form POST of ``fields`` and then the file."""

    method: str
    url: str
    fields: dict[str, Any]


class UploadSlot(ResponseBody):
    """One file of a batch: ``id`` is the client's own; ``upload_filename`` names the upload
    in a message's ``attachments``."""

    id: str
    attachment_id: Id
    upload_url: str
    upload_filename: str
    upload_method: str
    upload_fields: dict[str, Any]


class UploadGrant(ResponseBody):
    """The answer to one file (``attachment``, ``key``, ``upload``, ``expires_in`` seconds) or
    to a batch (``attachments``: one slot per file)."""

    attachment: PendingAttachment | None = None
    key: str | None = None
    upload: PresignedPost | None = None
    expires_in: int | None = None
    attachments: list[UploadSlot] | None = None
