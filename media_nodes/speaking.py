"""The node reports speaking to the guild through the store, under its own keys (docs/voice.md).

Each change is one PutItem of ``PK=MEDIA_NODE#<node>``, ``SK=SPEAKING#<channel>#<user>``
(``shared.voice.storage.speaking_reports``): the only partition besides its registry item that a
deployed node's IAM role may write. The table stream carries it to the guild stream consumer,
which updates the member's voice state and emits the guild's ``VOICE_STATE_UPDATE``
(``speaking``) — if that room is this node's, so a node cannot speak for rooms it does not hold.
No extra HTTP route, token or credential is needed. Blocking store calls run in a thread so the
forwarding loop never waits on the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.errors import ParleyError

__all__ = ["speaking_reporter"]

log = logging.getLogger("parley.media.speaking")


def speaking_reporter(node_id: str) -> Callable[[str, str, str, bool], Awaitable[None]]:
    """A :data:`media_nodes.node.SpeakingHook` that writes ``node_id``'s speaking reports."""
    from shared.voice.storage.speaking_reports import SpeakingReport, save_report

    async def report(guild_id: str, channel_id: str, user_id: str, speaking: bool) -> None:
        try:
            await asyncio.to_thread(
                save_report,
                SpeakingReport(node_id, int(guild_id), int(channel_id), int(user_id), speaking),
            )
        except ParleyError as exc:
            log.warning("speaking not reported: %s", exc)

    return report
