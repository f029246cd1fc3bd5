"""Request bodies of the message routes (the message rules themselves live in the domain)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.api import Snowflake


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The 2,000 limit is the domain's, with its own error; empty is fine with attachments.
    content: str = Field(default="", max_length=4000)
    reply_to: str | None = Field(default=None, pattern=r"^\d{1,20}$")
    # The count limit (10) is the domain's, with its own error; this only bounds the parsing.
    attachments: list[Snowflake] = Field(default_factory=list, max_length=100)


class EditMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=4000)


class RequestUpload(BaseModel):
    """A file the client is about to upload: its name, type and exact size in bytes."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=1024)
    content_type: str = Field(min_length=1, max_length=255)
    size: StrictInt = Field(ge=0)
