"""Message rules: content limit at its edge, mentions, emoji, the CONTRACT object."""

from __future__ import annotations

import pytest

from shared.errors import Invalid
from shared.ids import new_id
from shared.messages.domain.message import (
    MAX_CONTENT,
    MAX_MENTIONS,
    Mentions,
    Message,
    check_content,
    check_emoji,
    parse_mentions,
)


def test_content_of_exactly_the_limit_is_accepted_and_one_more_refused() -> None:
    assert check_content("x" * MAX_CONTENT, has_attachments=False) == "x" * MAX_CONTENT
    with pytest.raises(Invalid) as refused:
        check_content("x" * (MAX_CONTENT + 1), has_attachments=False)
    assert refused.value.code == "content_too_long"


@pytest.mark.parametrize("content", ["", "   ", "\n\t"])
def test_empty_content_needs_an_attachment(content: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_content(content, has_attachments=False)
    assert refused.value.code == "empty_message"
    assert check_content(content, has_attachments=True) == content


@pytest.mark.parametrize(
    ("content", "may", "expected"),
    [
        ("hi <@12> and <@!12>", False, Mentions(users=(12,))),
        ("<@&5> <@&6> <@&5>", False, Mentions(roles=(5, 6))),
        ("@everyone look", True, Mentions(everyone=True)),
        ("@here look", True, Mentions(everyone=True)),
        ("@everyone look", False, Mentions()),
        ("mail a@everyone.example", True, Mentions()),
        ("<@abc> <@> <@&>", True, Mentions()),
    ],
)
def test_mentions(content: str, may: bool, expected: Mentions) -> None:
    assert parse_mentions(content, may_mention_everyone=may) == expected


def test_mention_count_is_limited_at_its_edge() -> None:
    at_limit = " ".join(f"<@{i}>" for i in range(1, MAX_MENTIONS + 1))
    assert len(parse_mentions(at_limit, may_mention_everyone=False).users) == MAX_MENTIONS
    with pytest.raises(Invalid):
        parse_mentions(at_limit + f" <@{MAX_MENTIONS + 1}>", may_mention_everyone=False)


@pytest.mark.parametrize("good", ["👍", "❤️", "👨‍👩‍👧", "🇫🇷", "🏳️‍🌈"])
def test_unicode_emoji_are_reactions(good: str) -> None:
    assert check_emoji(good) == good


@pytest.mark.parametrize("bad", ["", "a", "ab", "1", "👍 ", "👍👍", ":thumbsup:", "x" * 40])
def test_anything_else_is_not(bad: str) -> None:
    with pytest.raises(Invalid):
        check_emoji(bad)


def test_message_object_has_the_contract_fields() -> None:
    message_id = new_id()
    message = Message(
        id=message_id,
        channel_id=2,
        guild_id=3,
        author_id=4,
        content="hello <@5>",
        mentions=Mentions(users=(5,)),
        reply_to=9,
        reactions={"👍": 2, "🎉": 0},
    )
    body = message.as_json(author={"id": "4", "username": "ann"}, reacted=["👍"])
    assert body["id"] == str(message_id)
    assert body["channel_id"] == "2"
    assert body["guild_id"] == "3"
    assert body["author"] == {"id": "4", "username": "ann"}
    assert body["timestamp"].endswith("+00:00")
    assert body["edited_timestamp"] is None
    assert body["reactions"] == [{"emoji": {"id": None, "name": "👍"}, "count": 2, "me": True}]
    assert body["message_reference"] == {"message_id": "9", "channel_id": "2"}
    assert body["type"] == 19
    assert body["mentions"] == [{"id": "5"}]
