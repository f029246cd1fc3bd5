"""Group DMs' pure rules: who they are made of, their limit, names, and who owns them after a
leave; and the joins and leaves a group's user-scoped events tell a user's sessions."""

from __future__ import annotations

import pytest

from shared.dms.domain.group import MAX_GROUP_NAME, MAX_PARTICIPANTS, GroupDm, group_name
from shared.errors import Forbidden, Invalid
from shared.gateway.domain.joins import joined_scope, left_scope
from shared.gateway.domain.log_events import LogEvent, Scope


def test_a_group_holds_its_creator_and_recipients_in_order() -> None:
    group = GroupDm.create(9, 5, [7, 3], "  plans  ")
    assert (group.users, group.owner_id, group.name) == ((3, 5, 7), 5, "plans")
    assert group.others(5) == [3, 7]
    assert group.as_json(3, recipients=[{"id": "5"}, {"id": "7"}])["type"] == 3


@pytest.mark.parametrize("recipients", [[], [5, 6], [6, 6], list(range(10, 10 + MAX_PARTICIPANTS))])
def test_bad_recipients_are_refused(recipients: list[int]) -> None:
    with pytest.raises(Invalid):
        GroupDm.create(9, 5, recipients, None)


def test_nine_recipients_make_ten_and_an_eleventh_is_refused() -> None:
    group = GroupDm.create(9, 1, list(range(2, 2 + MAX_PARTICIPANTS - 1)), None)
    assert len(group.users) == MAX_PARTICIPANTS
    with pytest.raises(Invalid) as refused:
        group.with_user(99)
    assert refused.value.code == "max_recipients"
    assert group.with_user(2) is group  # already in


def test_a_name_is_trimmed_blank_is_none_and_too_long_is_refused() -> None:
    assert group_name("x" * MAX_GROUP_NAME) == "x" * MAX_GROUP_NAME
    assert group_name("   ") is None
    with pytest.raises(Invalid):
        group_name("x" * (MAX_GROUP_NAME + 1))


def test_an_owner_who_leaves_hands_the_group_on_and_the_last_leaves_it_empty() -> None:
    group = GroupDm.create(9, 5, [7, 3], None)
    with pytest.raises(Forbidden):
        group.require_owner(3)
    after = group.without(5)
    assert (after.users, after.owner_id) == ((3, 7), 3)
    assert group.without(7).owner_id == 5
    empty = after.without(3).without(7)
    assert (empty.users, empty.owner_id) == ((), None)


def _told(t: str, kind: int) -> LogEvent:
    return LogEvent(t=t, d={"id": "9", "type": kind}, scope=Scope.user(5), channel_id=None)


def test_a_group_s_create_joins_and_its_delete_leaves_but_a_dm_s_delete_does_not() -> None:
    assert joined_scope(_told("CHANNEL_CREATE", 3)) == (5, Scope.dm(9))
    assert left_scope(_told("CHANNEL_DELETE", 3)) == (5, Scope.dm(9))
    assert left_scope(_told("CHANNEL_DELETE", 0)) is None
    guild_channel = LogEvent(
        t="CHANNEL_DELETE", d={"id": "9", "type": 3}, scope=Scope.guild(1), channel_id=None
    )
    assert left_scope(guild_channel) is None
