"""The health area's answer (OpenAPI documentation only: ``shared.responses``)."""

from __future__ import annotations

from shared.responses import ResponseBody

__all__ = ["Health"]


class Health(ResponseBody):
    status: str
    version: str
    store: str
