"""Request bodies of the invite routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.api import RequestBody
from shared.domain import limits

__all__ = ["CreateInvite"]


class CreateInvite(RequestBody):
    """``max_age`` in seconds (0: never expires); ``max_uses`` (0: unlimited)."""

    max_age: Annotated[int, Field(ge=0, le=limits.INVITE_MAX_AGE_MAX)] = (
        limits.INVITE_MAX_AGE_DEFAULT
    )
    max_uses: Annotated[int, Field(ge=0, le=limits.INVITE_MAX_USES_MAX)] = 0
