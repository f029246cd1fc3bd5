"""People signed in with the login form, each in their own browser context, looking at one
guild's #general; the last screenshot and log of each written for a failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.test_full_stack import Person, sign_in


@contextmanager
def people_in_general(
    chromium: Any, http_url: str, names: list[str], guild: str, shots: Path, prefix: str
) -> Iterator[list[Person]]:
    shots.mkdir(exist_ok=True)
    people = [sign_in(Person(name, None, None), chromium, http_url) for name in names]
    try:
        for person in people:
            person.page.get_by_role("button", name=guild, exact=True).click()
            person.page.get_by_test_id("channel-general").click()
            person.page.get_by_test_id("channel-title").filter(has_text="general").wait_for()
        yield people
    finally:
        for person in people:
            person.page.screenshot(path=str(shots / f"{prefix}-last-{person.name}.png"))
            (shots / f"{prefix}-last-{person.name}.log").write_text("\n".join(person.log))
            person.context.close()
