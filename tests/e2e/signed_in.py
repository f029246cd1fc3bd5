"""People signed in through the login form, each with a guild's #general open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.test_full_stack import Person, sign_in


@contextmanager
def in_general(
    chromium: Any, http_url: str, names: tuple[str, ...], guild: str, artifacts: Path, label: str
) -> Iterator[tuple[Person, ...]]:
    """Sign each of ``names`` in and open ``guild``'s #general; on the way out, each page's last
    screenshot and log go to ``artifacts/e2e/<label>-last-<name>.*``."""
    shots = artifacts / "e2e"
    shots.mkdir(exist_ok=True)
    people = tuple(sign_in(Person(name, None, None), chromium, http_url) for name in names)
    try:
        for person in people:
            person.page.get_by_role("button", name=guild, exact=True).click()
            person.page.get_by_test_id("channel-general").click()
            person.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
        yield people
    finally:
        for person in people:
            person.page.screenshot(path=str(shots / f"{label}-last-{person.name}.png"))
            (shots / f"{label}-last-{person.name}.log").write_text("\n".join(person.log))
            person.context.close()
