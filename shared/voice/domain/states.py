"""Voice states and rooms (pure): who is in which voice channel, and on which media node.

A member has at most one voice state per guild (one channel at a time); a voice channel's
participants form one *room*, held by one media node at a time. The rules of joining (CONNECT,
the channel's user limit, SPEAK) are checked by ``shared.voice.states``; this module holds the
values and their JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from shared.ids import SnowflakeId

__all__ = ["Room", "VoiceState", "VoiceStateRequest", "server_update"]


class VoiceStateRequest(BaseModel):
    """Gateway op 4's ``d``: join (a channel id), move (another), leave (``null``); self flags."""

    model_config = ConfigDict(extra="ignore")

    # Id 0 is a cursor's start (shared.ids), never a guild or a channel.
    guild_id: Annotated[SnowflakeId, Field(gt=0)]
    channel_id: Annotated[SnowflakeId, Field(gt=0)] | None = None
    self_mute: bool = False
    self_deaf: bool = False


@dataclass(frozen=True)
class VoiceState:
    """One member's presence in a guild's voice: the channel, the session, the flags.

    ``mute``/``deaf`` are the server's (MUTE_MEMBERS / DEAFEN_MEMBERS); ``suppress`` marks a
    member who may not SPEAK in the channel (they join, but the node drops their audio).
    """

    guild_id: int
    user_id: int
    channel_id: int
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False
    mute: bool = False
    deaf: bool = False
    suppress: bool = False
    speaking: bool = False

    def __post_init__(self) -> None:
        if min(self.guild_id, self.user_id, self.channel_id) <= 0 or not self.session_id:
            raise ValueError("a voice state names a guild, a user, a channel and a session")

    @property
    def server_mute(self) -> bool:
        """What the node enforces: a server mute, or no SPEAK permission."""
        return self.mute or self.suppress

    def with_(self, **changes: Any) -> VoiceState:
        return replace(self, **changes)

    def as_json(self) -> dict[str, Any]:
        """``VOICE_STATE_UPDATE.d`` and an entry of ``GUILD_CREATE.voice_states``."""
        return {
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id),
            "user_id": str(self.user_id),
            "session_id": self.session_id,
            "self_mute": self.self_mute,
            "self_deaf": self.self_deaf,
            "mute": self.mute,
            "deaf": self.deaf,
            "suppress": self.suppress,
            "speaking": self.speaking,
        }

    def left_json(self) -> dict[str, Any]:
        """``VOICE_STATE_UPDATE.d`` when the member leaves: ``channel_id`` null."""
        return {**self.as_json(), "channel_id": None, "speaking": False}


@dataclass(frozen=True)
class Room:
    """A voice channel's room: its node and how many voice states are in it."""

    guild_id: int
    channel_id: int
    node_id: str
    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("a room's count is never negative")


def server_update(
    guild_id: int, channel_id: int, endpoint: str | None, token: str | None
) -> dict[str, Any]:
    """``VOICE_SERVER_UPDATE.d``: a ``null`` endpoint means the room is moving (wait)."""
    return {
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "endpoint": endpoint,
        "token": token,
    }
