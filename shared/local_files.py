"""Files the local stack makes once and several processes may race to make (keys, the local CA).

Written aside, then hard-linked into place: a reader never sees half a file, and when two
processes make the same file at once, the first link wins and the other's text is dropped.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["write_once"]


def write_once(path: Path, text: str) -> bool:
    """Create ``path`` (mode 0600) holding ``text`` unless it exists; True if this call made it."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    try:
        os.link(scratch, path)
    except FileExistsError:
        return False  # another process made it first: theirs stands
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()
    return True
