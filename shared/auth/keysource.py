"""Where the signing key set comes from: Powertools Parameters on AWS, a local file in development.

- ``PARLEY_DATA_DIR`` (set only by ``parley dev`` and tests, so it wins when present):
  ``<data_dir>/keys/signing-keys.json``, generated on first use;
- ``PARLEY_SIGNING_KEYS_PARAMETER``: an SSM SecureString (decrypted) holding the private JWK Set;
- ``PARLEY_SIGNING_KEYS_SECRET``: the same in Secrets Manager.

Several worker processes may start at once, so the local file is created atomically (written
aside, then hard-linked into place; the loser of the race reads the winner's).

Both remote sources are cached for ``signing_keys_max_age_s``, so a rotation reaches every warm
container within that time without a redeploy.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from aws_lambda_powertools.utilities import parameters

from shared.auth.keyring import KeyRing, KeyRingError
from shared.config import Settings
from shared.errors import Unavailable
from shared.local_files import write_once
from shared.observability import logger

__all__ = ["load_keyring", "local_key_file"]

_lock = threading.Lock()
#: source name -> (when read, text, ring)
_cache: dict[str, tuple[float, str, KeyRing]] = {}


def local_key_file(data_dir: Path) -> Path:
    return data_dir / "keys" / "signing-keys.json"


def _ensure_local_file(path: Path) -> str:
    """The local key set, generated once (atomically) if it does not exist yet."""
    if not path.exists() and write_once(path, KeyRing.new_set_json()):
        logger.info("generated a local signing key set", extra={"path": str(path)})
    return path.read_text()


def _source_name(settings: Settings) -> str:
    """Which source the settings name; the local data folder first (only ever set locally)."""
    if settings.data_dir is not None:
        return f"file:{local_key_file(settings.data_dir)}"
    if settings.signing_keys_parameter:
        return f"ssm:{settings.signing_keys_parameter}"
    if settings.signing_keys_secret:
        return f"secretsmanager:{settings.signing_keys_secret}"
    raise Unavailable("Signing keys are not configured.", code="signing_keys_unconfigured")


def _read_source(settings: Settings) -> str:
    """The key set's text, from the one source the settings name."""
    max_age = settings.signing_keys_max_age_s
    if settings.data_dir is not None:
        return _ensure_local_file(local_key_file(settings.data_dir))
    if settings.signing_keys_parameter:
        value = parameters.get_parameter(
            settings.signing_keys_parameter, decrypt=True, max_age=max_age
        )
        return str(value)
    return str(parameters.get_secret(str(settings.signing_keys_secret), max_age=max_age))


def load_keyring(settings: Settings) -> KeyRing:
    """The current key ring (parsed once per change of its text, re-read after max age)."""
    source = _source_name(settings)
    with _lock:
        now = time.monotonic()
        cached = _cache.get(source)
        if cached is not None and now - cached[0] < settings.signing_keys_max_age_s:
            return cached[2]
        try:
            text = _read_source(settings)
        except parameters.exceptions.GetParameterError as exc:
            raise Unavailable("The signing keys cannot be read.", code="signing_keys") from exc
        if cached is not None and cached[1] == text:
            ring = cached[2]
        else:
            try:
                ring = KeyRing.from_json(text)
            except KeyRingError as exc:
                logger.error("bad signing key set", extra={"source": source, "problem": str(exc)})
                raise Unavailable("The signing keys are unusable.", code="signing_keys") from exc
        _cache[source] = (now, text, ring)
        return ring
