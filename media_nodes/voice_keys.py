"""The node's voice token keys, followed as they rotate.

The public keys come from a JWKS file (``PARLEY_MEDIA_VOICE_JWKS_FILE``) that the deployment
keeps current: on EC2 a timer rewrites it from the key parameter, on Kubernetes the kubelet
updates the mounted Secret. A rotation publishes the next key before anything signs with it, so
the node re-reads the file whenever it changed (checked at each verification: a join or a
control call, never the media path) and keeps the replay memory across the change.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from shared.voice.voice_tokens import VoiceGrant, VoiceTokenVerifier

__all__ = ["FollowedVerifier"]

log = logging.getLogger("parley.media.keys")


def _stamp(path: Path) -> tuple[int, int, int]:
    found = os.stat(path)
    return (found.st_ino, found.st_mtime_ns, found.st_size)


class FollowedVerifier:
    """A :class:`VoiceTokenVerifier` over a JWKS file, rebuilt when the file changes."""

    def __init__(self, path: Path, node_id: str) -> None:
        self.path = path
        self.node_id = node_id
        self._stamp = _stamp(path)
        self._verifier = VoiceTokenVerifier(path.read_text(), node_id)
        self.reloads = 0

    def current(self) -> VoiceTokenVerifier:
        """The verifier for the file as it is now (the last good one if it became unreadable)."""
        try:
            stamp = _stamp(self.path)
            if stamp != self._stamp:
                fresh = VoiceTokenVerifier(self.path.read_text(), self.node_id)
                fresh.used = self._verifier.used  # a token used before stays used
                self._verifier, self._stamp = fresh, stamp
                self.reloads += 1
                log.info("voice token keys reloaded from %s", self.path)
        except (OSError, ValueError) as exc:
            log.warning("voice token keys in %s unusable, keeping the last: %s", self.path, exc)
        return self._verifier

    def verify(self, token: str, now: float | None = None) -> VoiceGrant:
        return self.current().verify(token, now)

    def verify_control(self, token: str, now: float | None = None) -> None:
        self.current().verify_control(token, now)
