"""A voice room as a sans-I/O state machine: who is in, who receives whom, mute/deaf, speaking.

One :class:`Room` per voice channel on a node. It never touches a socket or a peer connection:
the aiortc wiring (``media_nodes.session``) feeds it joins, leaves, flag changes and the RFC 6464
audio levels it reads from packet headers, and acts on the events it returns (renegotiate a
participant, publish a speaking change). Forwarding asks :meth:`Room.receivers_of` per packet, so
that answer is precomputed whenever the room changes rather than worked out per packet.

The rules, in one place:
- a participant receives a slot (a track) for every other participant, whatever their flags, so
  muting and deafening never cost a renegotiation;
- a participant's audio is forwarded to the others unless it is self- or server-muted;
- a self- or server-deafened participant receives nothing;
- speaking follows the audio level with a hangover (a loud packet keeps it on for ``hangover_s``)
  and is published at most once per ``min_interval_s`` per participant, except that muting ends
  it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Participant",
    "Room",
    "RoomEvent",
    "SpeakingChanged",
    "SpeakingPolicy",
    "TracksChanged",
]


@dataclass(frozen=True)
class SpeakingPolicy:
    """When audio counts as speech, and how often a change may be published."""

    #: RFC 6464 levels are -dBov, 0 (loudest) to 127 (silence): at or below this is speech.
    threshold: int = 50
    hangover_s: float = 0.4
    min_interval_s: float = 0.2

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 127:
            raise ValueError("threshold must be an RFC 6464 level, 0..127")
        if self.hangover_s <= 0 or self.min_interval_s < 0:
            raise ValueError("hangover_s must be > 0 and min_interval_s >= 0")


@dataclass(frozen=True)
class SpeakingChanged:
    """Publish to the room (and, through the gateway, the guild): ``user_id`` started/stopped."""

    user_id: str
    speaking: bool


@dataclass(frozen=True)
class TracksChanged:
    """``user_id``'s set of remote participants changed: renegotiate its peer connection."""

    user_id: str
    sources: tuple[str, ...]


RoomEvent = SpeakingChanged | TracksChanged


@dataclass
class Participant:
    """One member of the room and their flags."""

    user_id: str
    self_mute: bool = False
    self_deaf: bool = False
    server_mute: bool = False
    server_deaf: bool = False
    speaking: bool = False
    loud_until: float = float("-inf")
    last_change: float = float("-inf")

    @property
    def muted(self) -> bool:
        return self.self_mute or self.server_mute

    @property
    def deafened(self) -> bool:
        return self.self_deaf or self.server_deaf


@dataclass
class Room:
    """The state of one voice channel's room on this node."""

    channel_id: str
    guild_id: str
    policy: SpeakingPolicy = field(default_factory=SpeakingPolicy)
    participants: dict[str, Participant] = field(default_factory=dict)
    _receivers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.participants)

    # ------------------------------------------------------------ membership
    def join(
        self, user_id: str, *, server_mute: bool = False, server_deaf: bool = False
    ) -> list[RoomEvent]:
        """Admit ``user_id`` (a rejoin keeps the seat and takes the new server flags)."""
        existing = self.participants.get(user_id)
        if existing is not None:
            return self.set_server(user_id, mute=server_mute, deaf=server_deaf)
        self.participants[user_id] = Participant(
            user_id, server_mute=server_mute, server_deaf=server_deaf
        )
        self._recompute()
        return self._tracks_changed()

    def leave(self, user_id: str) -> list[RoomEvent]:
        """Remove ``user_id``; the others lose its track (and its speaking ends)."""
        participant = self.participants.pop(user_id, None)
        if participant is None:
            return []
        events: list[RoomEvent] = []
        if participant.speaking:
            events.append(SpeakingChanged(user_id, False))
        self._recompute()
        return events + self._tracks_changed()

    def sources_for(self, user_id: str) -> tuple[str, ...]:
        """The participants ``user_id`` holds a track for: every other one, in join order."""
        return tuple(other for other in self.participants if other != user_id)

    # ------------------------------------------------------------ flags
    def set_self(self, user_id: str, *, mute: bool, deaf: bool) -> list[RoomEvent]:
        """The participant's own mute/deafen (a client control)."""
        participant = self.participants.get(user_id)
        if participant is None:
            return []
        participant.self_mute, participant.self_deaf = mute, deaf
        return self._flags_changed(participant)

    def set_server(self, user_id: str, *, mute: bool, deaf: bool) -> list[RoomEvent]:
        """Server mute/deafen (MUTE_MEMBERS / DEAFEN_MEMBERS): the participant cannot undo it."""
        participant = self.participants.get(user_id)
        if participant is None:
            return []
        participant.server_mute, participant.server_deaf = mute, deaf
        return self._flags_changed(participant)

    def _flags_changed(self, participant: Participant) -> list[RoomEvent]:
        self._recompute()
        events: list[RoomEvent] = []
        if participant.muted and participant.speaking:
            participant.speaking = False
            participant.loud_until = float("-inf")
            events.append(SpeakingChanged(participant.user_id, False))
        return events

    # ------------------------------------------------------------ forwarding
    def receivers_of(self, user_id: str) -> tuple[str, ...]:
        """Who receives ``user_id``'s audio now (empty when muted or absent). O(1) per packet."""
        return self._receivers.get(user_id, ())

    def _recompute(self) -> None:
        listening = [p.user_id for p in self.participants.values() if not p.deafened]
        self._receivers = {
            p.user_id: () if p.muted else tuple(other for other in listening if other != p.user_id)
            for p in self.participants.values()
        }

    def _tracks_changed(self) -> list[RoomEvent]:
        return [TracksChanged(uid, self.sources_for(uid)) for uid in self.participants]

    # ------------------------------------------------------------ speaking
    def audio_level(self, user_id: str, level: int, now: float) -> list[RoomEvent]:
        """One packet's RFC 6464 level from ``user_id``; a speaking change when one is due."""
        participant = self.participants.get(user_id)
        if participant is None or participant.muted:
            return []
        if level <= self.policy.threshold:
            participant.loud_until = now + self.policy.hangover_s
        return self._settle(participant, now)

    def tick(self, now: float) -> list[RoomEvent]:
        """Ends speaking after the hangover and publishes changes the throttle held back."""
        events: list[RoomEvent] = []
        for participant in self.participants.values():
            events.extend(self._settle(participant, now))
        return events

    def _settle(self, participant: Participant, now: float) -> list[RoomEvent]:
        wanted = not participant.muted and now < participant.loud_until
        if wanted == participant.speaking:
            return []
        if now - participant.last_change < self.policy.min_interval_s:
            return []
        participant.speaking = wanted
        participant.last_change = now
        return [SpeakingChanged(participant.user_id, wanted)]
