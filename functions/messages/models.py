"""Request bodies of the message routes (the message rules themselves live in the domain)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SendMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=4000)  # the 2,000 limit is the domain's, with its own error
    reply_to: str | None = Field(default=None, pattern=r"^\d{1,20}$")


class EditMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=4000)
