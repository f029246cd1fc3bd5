"""The gateway event registry: every event declared once and completely, the contract's and the
docs' events all declared, and the gateway's per-event behaviour read from the declarations.

The tests of behaviour declare an event otherwise (for that test only) and check that the code
follows the new declaration: a behaviour written against the name instead would not.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

import pytest

from shared.gateway.domain import registry
from shared.gateway.domain.joins import joined_scope, left_scope
from shared.gateway.domain.log_events import MOVED_TO, LogEvent, Scope
from shared.gateway.domain.protocol import dispatch_parts, parts_of
from shared.gateway.domain.registry import (
    EVENTS,
    Delivery,
    EventSpec,
    Hidden,
    Intent,
    Membership,
    Restricted,
    by_name,
    hears,
)
from shared.gateway.domain.session import SESSION_EVENTS, is_new_dispatch
from shared.gateway.storage.gateway_log import LogEntry
from shared.gateway.storage.sessions import Listener
from shared.gateway.view_cache import ViewCache, viewers_of
from shared.guilds.domain.permissions import Permission
from shared.outbox.domain.events import EventName
from tests.conftest import REPO_ROOT
from tests.fake_directory import FakeDirectory

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


def _documented() -> dict[str, list[str]]:
    """The rows of docs/protocol.md's event table, by event: its cells after the name."""
    text = (REPO_ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Events\n") :].split("\n## ", 2)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return {row[0].strip("`"): row[1:] for row in cells}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _listed(keys: Iterable[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys) or "never"


def test_the_protocol_docs_list_every_declared_event_as_declared() -> None:
    documented = _documented()
    assert list(documented) == list(EVENTS)  # each once, in the registry's order
    for name, spec in EVENTS.items():
        sent, bound, changes, splits, intent, also = documented[name]
        assert sent == spec.delivery.value, name
        assert (bound, changes) == (_yes(spec.channel_bound), _yes(spec.changes_views)), name
        assert splits == _listed(spec.splits), name
        assert intent == (spec.intent.name if spec.intent else "—"), name
        told = [
            spec.hidden and f"`{spec.hidden.name}`",
            spec.restricted and spec.restricted.permission.name,
            spec.moves and f"`{MOVED_TO}`",
            spec.deletes_channel and "deletes its channel",
            spec.membership and spec.membership.value,
        ]
        assert all(t in also for t in told if t), name
        assert also == "" or any(told), name


# ---------------------------------------------------------------- the view cache


def _asked_after(t: str) -> int:
    """How often the directory is asked twice about a channel with an entry ``t`` between."""
    cache, directory = ViewCache(clock=lambda: 0.0), FakeDirectory()
    entry = LogEntry(1, LogEvent(t=t, d={}, scope=Scope.guild(GUILD)))
    cache.observe(0, [LogEntry(0, LogEvent(t="TYPING_START", d={}, scope=Scope.guild(GUILD)))])
    cache.who_can_view(directory, 0, GUILD, CHANNEL, {1})
    cache.observe(0, [entry])
    cache.who_can_view(directory, 0, GUILD, CHANNEL, {1})
    return len(directory.asked)


@pytest.mark.parametrize("name", list(EventName))
def test_the_view_cache_drops_its_answers_at_the_events_declared_to_change_views(
    name: EventName,
) -> None:
    assert _asked_after(name) == (2 if EVENTS[name].changes_views else 1)


def test_an_event_declared_view_changing_drops_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _asked_after(EventName.MESSAGE_CREATE) == 1
    redeclare(monkeypatch, EventName.MESSAGE_CREATE, changes_views=True)
    assert _asked_after(EventName.MESSAGE_CREATE) == 2


def test_an_event_declared_unchanging_keeps_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _asked_after(EventName.GUILD_ROLE_UPDATE) == 2
    redeclare(monkeypatch, EventName.GUILD_ROLE_UPDATE, changes_views=False)
    assert _asked_after(EventName.GUILD_ROLE_UPDATE) == 1


def test_an_event_this_code_does_not_know_drops_the_cache() -> None:
    assert _asked_after("STAGE_INSTANCE_CREATE") == 2


def test_the_channel_an_event_declared_to_delete_carries_is_judged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = LogEvent("CHANNEL_UPDATE", {"id": str(CHANNEL)}, Scope.guild(GUILD), channel_id=CHANNEL)
    directory = FakeDirectory()
    viewers_of(directory, event, {1})
    assert (len(directory.asked), directory.judged) == (1, [])  # the stored channel
    redeclare(monkeypatch, EventName.CHANNEL_UPDATE, deletes_channel=True)
    viewers_of(directory, event, {1})
    assert (len(directory.asked), directory.judged) == (1, [event.d])  # the one it carries


# ---------------------------------------------------------------- what each member is told


def _in_channel(t: str, d: dict[str, Any]) -> LogEvent:
    return LogEvent(t=t, d=d, scope=Scope.guild(GUILD), channel_id=CHANNEL)


def test_the_hidden_form_is_the_declared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    update = _in_channel("MESSAGE_UPDATE", {"id": "9", "channel_id": "70", "content": "x"})
    assert update.as_hidden() is None
    redeclare(
        monkeypatch,
        EventName.MESSAGE_UPDATE,
        hidden=Hidden(EventName.MESSAGE_DELETE, ("id", "channel_id")),
    )
    hidden = update.as_hidden()
    assert hidden is not None
    assert (hidden.t, hidden.d) == ("MESSAGE_DELETE", {"id": "9", "channel_id": "70"})
    redeclare(monkeypatch, EventName.CHANNEL_UPDATE, hidden=None)
    assert _in_channel("CHANNEL_UPDATE", {"id": "70"}).as_hidden() is None


def test_what_an_event_needs_besides_view_is_the_declared_restriction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinned = _in_channel("CHANNEL_PINS_UPDATE", {"channel_id": "70", "secret": "s"})
    assert (pinned.needs, pinned.as_lacking()) == (Permission(0), None)
    redeclare(
        monkeypatch,
        EventName.CHANNEL_PINS_UPDATE,
        restricted=Restricted(Permission.MANAGE_MESSAGES, "secret"),
    )
    assert pinned.needs == Permission.MANAGE_MESSAGES
    lacking = pinned.as_lacking()
    assert lacking is not None and lacking.d == {"channel_id": "70"}
    assert _in_channel("CHANNEL_PINS_UPDATE", {"channel_id": "70"}).needs == Permission(0)
    redeclare(monkeypatch, EventName.INVITE_CREATE, restricted=None)
    assert _in_channel("INVITE_CREATE", {"code": "c"}).needs == Permission(0)


def test_only_an_event_declared_to_move_names_where_it_moved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = {"channel_id": None, MOVED_TO: str(OTHER_CHANNEL)}
    assert _in_channel("VOICE_STATE_UPDATE", d).moved_to == OTHER_CHANNEL
    assert _in_channel("TYPING_START", d).moved_to is None
    redeclare(monkeypatch, EventName.TYPING_START, moves=True)
    assert _in_channel("TYPING_START", d).moved_to == OTHER_CHANNEL


def test_only_an_event_declared_channel_bound_carries_a_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="GUILD_UPDATE is not bound to a channel"):
        _in_channel("GUILD_UPDATE", {})
    redeclare(monkeypatch, EventName.GUILD_UPDATE, channel_bound=True)
    assert _in_channel("GUILD_UPDATE", {}).channel_id == CHANNEL
    assert _in_channel("NOT_YET_KNOWN", {}).channel_id == CHANNEL  # a newer deployment's


# ---------------------------------------------------------------- joins, frames, intents


def test_joins_and_leaves_are_the_declared_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    update = LogEvent("GUILD_UPDATE", {"id": "8"}, Scope.user(2))
    delete = LogEvent("GUILD_DELETE", {"id": "8"}, Scope.user(2))
    assert (joined_scope(update), left_scope(delete)) == (None, (2, "guild:8"))
    redeclare(monkeypatch, EventName.GUILD_UPDATE, membership=Membership.JOINS_GUILD)
    redeclare(monkeypatch, EventName.GUILD_DELETE, membership=None)
    assert (joined_scope(update), left_scope(delete)) == ((2, "guild:8"), None)


def _big(key: str) -> dict[str, Any]:
    return {"id": "7", key: [{"user": {"id": str(n)}, "status": "dnd"} for n in range(5000)]}


def test_an_event_splits_over_the_lists_it_is_declared_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = _big("embeds")
    assert dispatch_parts("MESSAGE_CREATE", big) == [big]
    redeclare(monkeypatch, EventName.MESSAGE_CREATE, splits=("embeds",))
    parts = dispatch_parts("MESSAGE_CREATE", big)
    assert len(parts) > 1
    assert [e for part in parts for e in part["embeds"]] == big["embeds"]
    redeclare(monkeypatch, EventName.GUILD_CREATE, splits=())
    assert parts_of(_big("presences")) == [_big("presences")]


def _listener(presences: bool) -> Listener:
    return Listener("s", 1, "c", "d", "st", 0, presences)


def test_a_session_without_an_events_intent_does_not_hear_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not _listener(False).hears("PRESENCE_UPDATE")
    assert _listener(False).hears("TYPING_START")
    redeclare(monkeypatch, EventName.TYPING_START, intent=Intent.GUILD_PRESENCES)
    redeclare(monkeypatch, EventName.PRESENCE_UPDATE, intent=None)
    assert not _listener(False).hears("TYPING_START")
    assert _listener(True).hears("TYPING_START")
    assert _listener(False).hears("PRESENCE_UPDATE")
    assert hears("TYPING_START", None)  # IDENTIFY without intents: every event
    assert not hears("TYPING_START", 1)
    assert hears("TYPING_START", Intent.GUILD_PRESENCES | 1)


def test_a_sessions_own_dispatches_are_those_declared_sent_to_it() -> None:
    own = {t for t, spec in EVENTS.items() if spec.session_own}
    assert own == SESSION_EVENTS
    assert {"READY", "RESUMED", "GUILD_CREATE"} <= own
    for t in own:
        assert is_new_dispatch(t, 5, 9)  # an `s` another dispatch shares: never dropped
    assert not is_new_dispatch("MESSAGE_CREATE", 5, 9)
    assert EVENTS[EventName.MESSAGE_CREATE].delivery is Delivery.LOG
