"""DMs, read markers and mention counts, and the scopes a live session joins: pure rules."""

from __future__ import annotations

import pytest

from shared.dms.domain.dm import DM_PERMISSIONS, DmChannel, check_recipient
from shared.errors import Invalid
from shared.gateway.domain.joins import joined_scope
from shared.gateway.domain.log_events import LogEvent
from shared.guilds.domain.permissions import Permission
from shared.messages.domain.read_state import (
    ChannelMarks,
    ReadState,
    mention_count,
    read_state_json,
)


def test_a_dm_is_two_different_users_in_id_order() -> None:
    dm = DmChannel.between(9, 5, 3)
    assert dm.users == (3, 5)
    assert (dm.other(3), dm.other(5)) == (5, 3)
    assert dm.has(5) and not dm.has(4)
    with pytest.raises(Invalid):
        check_recipient(7, 7)
    with pytest.raises(ValueError, match="two different ids"):
        DmChannel(9, (5, 3))
    view = dm.as_json(3, recipient={"id": "5"}, last_message_id=12)
    assert view == {"id": "9", "type": 1, "recipients": [{"id": "5"}], "last_message_id": "12"}


def test_dm_participants_have_a_default_members_rights_without_moderation() -> None:
    assert DM_PERMISSIONS & Permission.SEND_MESSAGES
    assert DM_PERMISSIONS & Permission.READ_MESSAGE_HISTORY
    assert not DM_PERMISSIONS & Permission.MANAGE_MESSAGES
    assert not DM_PERMISSIONS & Permission.MENTION_EVERYONE


def test_mentions_count_from_the_marker_and_broad_ones_once_each() -> None:
    marks = ChannelMarks(1, last_message_id=50, last_everyone_id=40, last_role_mention={7: 45})
    fresh = ReadState(1, None, frozenset({10, 20}))
    assert mention_count(fresh, marks, [7]) == 4  # two direct, @everyone, the role
    assert mention_count(fresh, marks, [8]) == 3  # not that role's holder
    read_to_20 = ReadState(1, 20, frozenset({10, 20, 30}))
    assert mention_count(read_to_20, marks, [7]) == 3  # 30, @everyone (40), role (45)
    read_to_40 = ReadState(1, 40, frozenset({30}))
    assert mention_count(read_to_40, marks, [7]) == 1  # only the role at 45 is newer
    assert mention_count(ReadState(1, 45), marks, [7]) == 0  # the edge: equal is read
    assert read_to_20.stale_mentions(20) == frozenset({10, 20})


def test_a_read_state_entry_names_the_channel_twice_for_both_kinds_of_client() -> None:
    assert read_state_json(ReadState(3, 9), 2) == {
        "id": "3",
        "channel_id": "3",
        "last_message_id": "9",
        "mention_count": 2,
    }
    assert read_state_json(ReadState(3), 0)["last_message_id"] is None


@pytest.mark.parametrize(
    ("event", "joined"),
    [
        (LogEvent("CHANNEL_CREATE", {"id": "5", "type": 1}, "user:2"), (2, "dm:5")),
        (LogEvent("GUILD_CREATE", {"id": "8"}, "user:2"), (2, "guild:8")),
        (LogEvent("CHANNEL_CREATE", {"id": "5", "type": 0}, "guild:8"), None),  # a guild channel
        (LogEvent("CHANNEL_CREATE", {"id": "5", "type": 0}, "user:2"), None),
        (LogEvent("GUILD_CREATE", {"id": "8"}, "guild:8"), None),
        (LogEvent("GUILD_CREATE", {"id": 8}, "user:2"), None),  # ids are strings
        (LogEvent("MESSAGE_CREATE", {"id": "5"}, "user:2"), None),
    ],
)
def test_the_events_that_subscribe_a_session(
    event: LogEvent, joined: tuple[int, str] | None
) -> None:
    assert joined_scope(event) == joined
