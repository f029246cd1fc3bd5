"""The voice area's answer (OpenAPI documentation only: ``shared.responses``)."""

from __future__ import annotations

from shared.responses import ResponseBody

__all__ = ["VoiceRegion"]


class VoiceRegion(ResponseBody):
    """A region with a live media node; ``optimal``: the least loaded one."""

    id: str
    name: str
    optimal: bool
    deprecated: bool
    custom: bool
