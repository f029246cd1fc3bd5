"""Gateway op 4, VOICE_STATE_UPDATE: join, move or leave a voice channel; self mute/deafen.

The op needs an identified session (its id is the voice state's ``session_id``, and the only
session that receives the ``VOICE_SERVER_UPDATE`` answer). The answer is posted straight back
on this connection (``s`` null: it is not in the gateway log, so a RESUME does not replay a
voice token that has expired by then); the guild hears ``VOICE_STATE_UPDATE`` through the
outbox like every other guild event. A user's op 4s spend the ``gateway.voice`` budget
(``shared/limits/per_user.py``); past it they get op 12 ``rate_limited``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.errors import Invalid, Unauthorized
from shared.gateway.domain.protocol import Frame, Op
from shared.gateway.router import GatewayRequest
from shared.gateway.storage import sessions
from shared.limits.limiter import enforce
from shared.limits.per_user import group_limit
from shared.outbox.domain.events import EventName
from shared.voice import states as voice
from shared.voice.domain.states import VoiceStateRequest

__all__ = ["voice_state_update"]

#: Voice state updates a user may make, across their sessions (the per-user budgets' table).
VOICE_PER_USER = group_limit("gateway.voice")


def voice_state_update(request: GatewayRequest, d: Any) -> Frame | None:
    """Op 4; ``VOICE_SERVER_UPDATE`` (to this session only) when a node was allocated."""
    connection = sessions.get_connection(request.connection_id)
    if connection is None or connection.session_id is None:
        raise Unauthorized("Identify before joining voice.", code="not_identified")
    enforce([(VOICE_PER_USER, f"user:{connection.user_id}")])
    try:
        payload = VoiceStateRequest.model_validate(d)
    except ValidationError as exc:
        raise Invalid(
            "VOICE_STATE_UPDATE takes {guild_id, channel_id, self_mute, self_deaf}.",
            code="invalid_payload",
        ) from exc
    granted = voice.update_voice_state(connection.user_id, connection.session_id, payload)
    if granted is None:
        return None
    return Frame(op=Op.DISPATCH, t=EventName.VOICE_SERVER_UPDATE, s=None, d=granted)
