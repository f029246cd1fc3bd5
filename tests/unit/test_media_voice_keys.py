"""The node follows its JWKS file through a key rotation, and keeps its replay memory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from media_nodes.voice_keys import FollowedVerifier
from shared.errors import Unauthorized
from shared.voice.voice_tokens import VoiceKeyPair, generate_voice_keys, mint_voice_token

OLD = generate_voice_keys(kid="old")
NEW = generate_voice_keys(kid="new")


def _token(keys: VoiceKeyPair = OLD, user_id: str = "1") -> str:
    return mint_voice_token(
        keys.private_pem, kid=keys.kid, node_id="n1", user_id=user_id, guild_id="2", channel_id="3"
    )


def _publish(path: Path, *keysets: VoiceKeyPair) -> None:
    """Write aside and rename, as the deployment does (a new file, a new inode)."""
    keys = [k for keyset in keysets for k in keyset.jwks["keys"]]
    aside = path.with_name(".next")
    aside.write_text(json.dumps({"keys": keys}))
    os.replace(aside, path)


def test_a_key_published_later_is_trusted_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _publish(path, OLD)
    verifier = FollowedVerifier(path, "n1")
    with pytest.raises(Unauthorized):
        verifier.verify(_token(NEW))
    _publish(path, OLD, NEW)
    assert verifier.verify(_token(NEW, "7")).user_id == "7"
    assert verifier.reloads == 1


def test_a_token_used_before_the_reload_stays_used(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _publish(path, OLD)
    verifier = FollowedVerifier(path, "n1")
    token = _token(OLD)
    verifier.verify(token)
    _publish(path, OLD, NEW)
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.code == "voice_token_reused"


def test_an_unreadable_file_keeps_the_last_keys(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    _publish(path, OLD)
    verifier = FollowedVerifier(path, "n1")
    path.write_text("{not json")
    assert verifier.verify(_token(OLD, "8")).user_id == "8"
    assert verifier.reloads == 0
