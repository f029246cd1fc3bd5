"""Test-wide settings: tests never reach AWS, and never use the `make dev` ports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The reference AWS events (read in place, never copied into the repository).
SHARED_EVENTS = REPO_ROOT.parent / "shared" / "events"

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("PARLEY_TABLE_NAME", "parley-test")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
# Cheap bcrypt, a throwaway data folder (signing keys), a public URL for token issuers.
os.environ.setdefault("PARLEY_BCRYPT_COST", "4")
os.environ.setdefault("PARLEY_DATA_DIR", tempfile.mkdtemp(prefix="parley-tests-"))
os.environ.setdefault("PARLEY_PUBLIC_URL", "http://parley.test")


@pytest.fixture
def values_read(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every item value the table's answer parser reads through its shortcut, in order."""
    from shared.table import item_values

    read: list[Any] = []
    shortcut = item_values._value

    def counted(raw: Any, blob: Any) -> dict[str, Any]:
        read.append(raw)
        return shortcut(raw, blob)

    monkeypatch.setattr(item_values, "_value", counted)
    return read
