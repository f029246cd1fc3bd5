"""The gateway event registry: every event declared once and completely, the contract's and the
docs' events all declared, and the gateway's per-event behaviour read from the declarations.

The tests of behaviour declare an event otherwise (for that test only) and check that the code
follows the new declaration: a behaviour written against the name instead would not.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any

import pytest

from shared.domain.events import EventName
from shared.domain.permissions import Permission
from shared.gateway import registry
from shared.gateway.registry import (
    EVENTS,
    EventSpec,
    Hidden,
    Restricted,
    by_name,
)
from tests.conftest import REPO_ROOT

GUILD, CHANNEL, OTHER_CHANNEL = 7, 70, 71
FIELDS = [f.name for f in dataclasses.fields(EventSpec)]


def redeclare(monkeypatch: pytest.MonkeyPatch, name: EventName, **changes: Any) -> None:
    """For this test, ``name`` is declared with ``changes``."""
    events = dict(registry.EVENTS)
    events[name] = dataclasses.replace(events[name], **changes)
    monkeypatch.setattr(registry, "EVENTS", MappingProxyType(events))


# ---------------------------------------------------------------- declarations


def test_every_event_name_has_one_declaration_under_its_own_name() -> None:
    assert set(EVENTS) == set(EventName)
    for name, spec in EVENTS.items():
        assert isinstance(spec, EventSpec)
        assert spec.name == name


def test_no_property_of_a_declaration_has_a_default() -> None:
    for field in dataclasses.fields(EventSpec):
        assert field.default is dataclasses.MISSING, field.name
        assert field.default_factory is dataclasses.MISSING, field.name


@pytest.mark.parametrize("left_out", FIELDS)
def test_a_declaration_that_leaves_a_property_out_is_refused(left_out: str) -> None:
    spec = EVENTS[EventName.MESSAGE_CREATE]
    given = {f: getattr(spec, f) for f in FIELDS if f != left_out}
    with pytest.raises(TypeError, match=left_out):
        EventSpec(**given)


def test_a_name_left_undeclared_or_declared_twice_is_refused() -> None:
    declared = list(EVENTS.values())
    with pytest.raises(ValueError, match="not declared \\['READY'\\]"):
        by_name(s for s in declared if s.name != EventName.READY)
    with pytest.raises(ValueError, match="declared twice \\['TYPING_START'\\]"):
        by_name([*declared, EVENTS[EventName.TYPING_START]])
    assert dict(by_name(declared)) == dict(EVENTS)


@pytest.mark.parametrize(
    "channel_only",
    [
        {"hidden": Hidden(EventName.CHANNEL_DELETE, ("id",))},
        {"restricted": Restricted(Permission.MANAGE_CHANNELS, None)},
        {"moves": True},
        {"deletes_channel": True},
    ],
)
def test_only_a_channel_bound_event_may_be_judged_by_its_channel(
    channel_only: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="only a channel-bound event"):
        dataclasses.replace(EVENTS[EventName.GUILD_UPDATE], **channel_only)


def _contract() -> str:
    """CONTRACT.md, from the design folder beside the repository (or a worktree's)."""
    for folder in REPO_ROOT.parents:
        contract = folder / "shared" / "design" / "CONTRACT.md"
        if contract.is_file():
            return contract.read_text(encoding="utf-8")
    raise AssertionError(f"no shared/design/CONTRACT.md above {REPO_ROOT}")


def test_every_event_the_contract_names_is_declared() -> None:
    contract = _contract()
    listed = contract[contract.index("Events (`t`):") :].split(". ", 1)[0]
    named = set(re.findall(r"`([A-Z_]+)`", listed))
    assert {"READY", "MESSAGE_CREATE", "THREAD_CREATE", "GUILD_EMOJIS_UPDATE"} <= named
    assert named <= set(EVENTS)
