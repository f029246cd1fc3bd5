"""The node reports speaking to the guild by writing it to the store (docs/voice.md).

The node already writes to the single table (its registry heartbeat), so its speaking hook
calls ``shared.services.voice.report_speaking`` directly: that updates the member's voice state
and emits the guild's ``VOICE_STATE_UPDATE`` (``speaking``) in one transaction, and the fan-out
delivers it like every other guild event. No extra HTTP route, token or function is needed, and
a report for someone who already left or moved is dropped by the state's condition. Blocking
store calls run in a thread so the forwarding loop never waits on the store.
"""

from __future__ import annotations

import asyncio
import logging

from shared.errors import ParleyError

__all__ = ["report_to_store"]

log = logging.getLogger("parley.media.speaking")


async def report_to_store(guild_id: str, channel_id: str, user_id: str, speaking: bool) -> None:
    """A :data:`media_nodes.node.SpeakingHook`: the guild hears ``user_id`` (stop) speaking."""
    from shared.services.voice import report_speaking  # the store's models load on first use

    try:
        await asyncio.to_thread(
            report_speaking, int(guild_id), int(channel_id), int(user_id), speaking
        )
    except ParleyError as exc:
        log.warning("speaking not reported: %s", exc)
