"""Files made once: the first writer's text stands, whole, readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shared.local_files import write_once


def test_the_first_write_makes_the_file_and_later_ones_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "made.json"
    assert write_once(path, "first") is True
    assert write_once(path, "second") is False
    assert path.read_text() == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["made.json"]  # no scratch file left


def test_a_file_made_between_the_check_and_the_link_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: another process links its file after this one checked.
    path = tmp_path / "made.json"
    real_exists = Path.exists

    def exists_then_lose_the_race(self: Path) -> bool:
        if self == path and not real_exists(self):
            self.write_text("theirs")
            return False
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists_then_lose_the_race)
    assert write_once(path, "ours") is False
    assert path.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["made.json"]
