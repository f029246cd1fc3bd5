"""Where the voice token signing key comes from: a local file in development, SSM on AWS.

The same pattern as the access tokens' keys (``shared/auth/keysource.py``):

- ``PARLEY_DATA_DIR`` (``parley dev`` and tests): ``<data_dir>/keys/voice-keys.json``, generated
  once, atomically (several worker processes may start together), with its public half beside it
  in ``voice-jwks.json`` — the file ``parley dev`` hands its media node (``--jwks-file``);
- ``PARLEY_VOICE_KEYS_PARAMETER``: an SSM SecureString holding the same JSON, created by the
  stack on its first deploy (``shared/auth/keystore.py``);
- ``PARLEY_VOICE_KEYS_SECRET``: the same in Secrets Manager.

The JSON is ``{"kid", "private_pem", "jwks"}`` (``shared.voice.voice_tokens.VoiceKeyPair``); the
nodes are configured with its ``jwks`` only, so they can verify but never mint.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_lambda_powertools.utilities import parameters

from shared.config import Settings
from shared.errors import Unavailable
from shared.local_files import write_once
from shared.voice.voice_tokens import VoiceKeyPair, generate_voice_keys

__all__ = [
    "ensure_local_voice_keys",
    "load_voice_keys",
    "local_voice_jwks_file",
    "new_voice_keys_json",
    "parse_voice_keys",
]

_cache: dict[str, tuple[str, VoiceKeyPair]] = {}


def _local_key_file(data_dir: Path) -> Path:
    return data_dir / "keys" / "voice-keys.json"


def local_voice_jwks_file(data_dir: Path) -> Path:
    """The public JWKS of the local voice key, for ``parley media-node --jwks-file``."""
    return data_dir / "keys" / "voice-jwks.json"


def new_voice_keys_json() -> str:
    """A fresh voice key as the JSON every source holds (the stack's first deploy writes it)."""
    keys = generate_voice_keys()
    return json.dumps({"kid": keys.kid, "private_pem": keys.private_pem, "jwks": keys.jwks})


def ensure_local_voice_keys(data_dir: Path) -> Path:
    """Generate the local voice key once; the path of its public JWKS file."""
    write_once(_local_key_file(data_dir), new_voice_keys_json())
    pair = parse_voice_keys(_local_key_file(data_dir).read_text())
    write_once(local_voice_jwks_file(data_dir), pair.jwks_json())
    return local_voice_jwks_file(data_dir)


def parse_voice_keys(text: str) -> VoiceKeyPair:
    """The voice key of a source's JSON; 503 ``voice_keys`` when it is not one."""
    try:
        raw = json.loads(text)
        return VoiceKeyPair(
            kid=str(raw["kid"]), private_pem=str(raw["private_pem"]), jwks=raw["jwks"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unavailable("The voice keys are unusable.", code="voice_keys") from exc


def load_voice_keys(settings: Settings) -> VoiceKeyPair:
    """The voice signing key the settings name (cached per text; remote sources per max age)."""
    if settings.data_dir is not None:
        ensure_local_voice_keys(settings.data_dir)
        text = _local_key_file(settings.data_dir).read_text()
    elif settings.voice_keys_parameter:
        text = str(
            parameters.get_parameter(
                settings.voice_keys_parameter, decrypt=True, max_age=settings.signing_keys_max_age_s
            )
        )
    elif settings.voice_keys_secret:
        text = str(
            parameters.get_secret(
                settings.voice_keys_secret, max_age=settings.signing_keys_max_age_s
            )
        )
    else:
        raise Unavailable("Voice keys are not configured.", code="voice_keys_unconfigured")
    cached = _cache.get("keys")
    if cached is not None and cached[0] == text:
        return cached[1]
    pair = parse_voice_keys(text)
    _cache["keys"] = (text, pair)
    return pair
