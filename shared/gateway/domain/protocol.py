"""Gateway frames: ``{"op", "d", "s", "t"}`` JSON objects (CONTRACT.md, docs/protocol.md).

Pure: no sockets and no AWS SDK. Parsing a client frame either gives a :class:`Frame` or raises
:class:`~shared.errors.Invalid` with a code the client can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from shared.errors import Invalid, ParleyError, error_body, status_for
from shared.gateway.domain.registry import spec_of
from shared.outbox.domain.events import EventName
from shared.text import is_unicode_text

__all__ = [
    "MAX_FRAME_BYTES",
    "Frame",
    "Op",
    "dispatch_parts",
    "encode",
    "error_frame",
    "parse_client_frame",
    "parts_of",
    "split",
]

#: API Gateway refuses posts over 128 KB; GUILD_CREATE is chunked to stay under this.
MAX_FRAME_BYTES = 120 * 1024


class Op(IntEnum):
    """Gateway opcodes. 12 (ERROR) is Parley's own: a request failed, the session goes on."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11
    ERROR = 12


#: The ops a client may send.
CLIENT_OPS = frozenset(
    {Op.HEARTBEAT, Op.IDENTIFY, Op.PRESENCE_UPDATE, Op.VOICE_STATE_UPDATE, Op.RESUME}
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One gateway frame."""

    op: Op
    d: Any = None
    s: int | None = None
    t: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"op": int(self.op), "d": self.d, "s": self.s, "t": self.t}


def encode(frame: Frame) -> bytes:
    """The frame as compact UTF-8 JSON, as it goes on the wire."""
    return json.dumps(frame.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()


def parse_client_frame(body: str | None) -> Frame:
    """A frame a client sent; :class:`Invalid` (``decode_error``/``unknown_op``) when it is not."""
    if not body:
        raise Invalid("The frame is empty.", code="decode_error")
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise Invalid("The frame is not JSON.", code="decode_error") from exc
    if not isinstance(raw, dict):
        raise Invalid("A frame is a JSON object.", code="decode_error")
    if not is_unicode_text(raw):
        raise Invalid("A frame's strings are Unicode text.", code="decode_error")
    op = raw.get("op")
    if isinstance(op, bool) or not isinstance(op, int) or op not in CLIENT_OPS:
        raise Invalid(f"Unknown op {op!r}.", code="unknown_op")
    seq = raw.get("s")
    return Frame(op=Op(op), d=raw.get("d"), s=seq if isinstance(seq, int) else None)


def error_frame(error: ParleyError) -> Frame:
    """The ERROR frame for a failed request: the CONTRACT error body plus its HTTP-like status."""
    return Frame(op=Op.ERROR, d={**error_body(error), "status": status_for(error)})


def parts_of(guild: dict[str, Any]) -> list[dict[str, Any]]:
    """A GUILD_CREATE split so that each frame stays under API Gateway's size limit (see
    :func:`dispatch_parts`)."""
    return dispatch_parts(EventName.GUILD_CREATE, guild)


def split(d: dict[str, Any], lists: tuple[str, ...]) -> list[dict[str, Any]]:
    """An event's ``d`` split so that each frame stays under API Gateway's size limit.

    Its large ``lists`` (a guild's members, presences, voice states) are spread over several
    frames; the first carries the rest of ``d``, the others ``{"id", "chunk_index",
    "chunk_count", ...}``. A ``d`` that fits, or has no such lists, is one frame.
    """
    if not lists or len(json.dumps(d)) <= MAX_FRAME_BYTES:
        return [d]
    chunked = {k: v for k, v in d.items() if k in lists}
    base = {k: v for k, v in d.items() if k not in chunked}
    parts: list[dict[str, Any]] = [dict(base, **{k: [] for k in chunked})]
    for key, values in chunked.items():
        for value in values:
            size = len(json.dumps(parts[-1])) + len(json.dumps(value))
            if size > MAX_FRAME_BYTES:
                parts.append({"id": d["id"], **{k: [] for k in chunked}})
            parts[-1][key].append(value)
    for index, part in enumerate(parts):
        part["chunk_index"] = index
        part["chunk_count"] = len(parts)
    return parts


def dispatch_parts(t: str, d: Any) -> list[Any]:
    """The ``d`` of each DISPATCH an event ``t`` with payload ``d`` goes out as: an event whose
    declaration ``splits`` lists (a GUILD_CREATE too large for one frame: a joiner's, with its
    presences) in :func:`split`'s chunks, in order, all at the event's ``s``; any other event
    as itself."""
    spec = spec_of(t)
    if spec is not None and spec.splits and isinstance(d, dict):
        return split(d, spec.splits)
    return [d]
