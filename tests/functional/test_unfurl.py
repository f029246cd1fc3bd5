"""Link previews under moto: the unfurl function (fed the table stream as Lambda would) fetches
a message's links from a real web server on loopback, allowed by the test-only allow-list, and
turns them into the message's embeds with an embeds-only MESSAGE_UPDATE; the author's
SUPPRESS_EMBEDS flag. What the fetcher refuses: tests/functional/test_unfurl_fetcher.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.config import get_settings
from shared.embeds import unfurl
from shared.embeds.fetcher import USER_AGENT
from tests.functional.apigw import LambdaContext, Reply, handler_for, request
from tests.functional.dm_race import acquaintances
from tests.functional.guildkit import StreamTap, create_guild, new_user, text_channel
from tests.pages_server import PagesServer


@pytest.fixture
def pages() -> Iterator[PagesServer]:
    with PagesServer() as server:
        yield server


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local stack's and tests' allow-list: the unfurl function may fetch from 127.0.0.1."""
    monkeypatch.setenv("PARLEY_UNFURL_ALLOW_NETWORKS", '["127.0.0.1/32"]')
    get_settings.cache_clear()
    unfurl.default_fetcher.cache_clear()
    yield
    get_settings.cache_clear()
    unfurl.default_fetcher.cache_clear()


@dataclass
class Chat:
    """A guild's owner, its text channel, and the table stream read from before anything."""

    owner: int
    channel: str
    tap: StreamTap


@pytest.fixture
def chat(table: str) -> Chat:
    owner = new_user()
    return Chat(owner, text_channel(create_guild(owner)), StreamTap())


def send(user: int, channel: str, content: str) -> Reply:
    reply = request("POST", f"/channels/{channel}/messages", user=user, body={"content": content})
    assert reply.status == 201, reply
    return reply


def run_unfurler(tap: StreamTap) -> list[dict[str, Any]]:
    """Deliver the stream's new records to the unfurl function; the outbox events written."""
    records = tap.read()
    if records:
        result = handler_for("UnfurlFunction")({"Records": records}, LambdaContext())
        assert result == {"batchItemFailures": []}, result
    return tap.events()


def stored(user: int, channel: str, message_id: str) -> dict[str, Any]:
    history = request("GET", f"/channels/{channel}/messages", user=user).body
    (message,) = [m for m in history if m["id"] == message_id]
    return dict(message)


# ---------------------------------------------------------------- messages get their embeds
def test_a_page_with_open_graph_tags_becomes_the_messages_embed_and_a_message_update(
    chat: Chat, pages: PagesServer
) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    sent = send(owner, channel, f"look at this {pages.base}/og !")
    assert sent.body["embeds"] == []
    events = run_unfurler(tap)
    expected = {
        "type": "link",
        "url": f"{pages.base}/og",
        "title": "A page worth sharing",
        "description": "What the page says about itself.",
        "thumbnail": {"url": f"{pages.base}/image.png"},
        "provider": {"name": "Pages Test"},
        "color": 0x5865F2,
    }
    (update,) = [e for e in events if e["t"] == "MESSAGE_UPDATE"]
    assert update["d"] == {
        "id": sent.body["id"],
        "channel_id": channel,
        "guild_id": sent.body["guild_id"],
        "embeds": [expected],
    }
    message = stored(owner, channel, sent.body["id"])
    assert message["embeds"] == [expected]
    assert message["edited_timestamp"] is None  # an embeds-only update is no edit
    assert pages.user_agents == [USER_AGENT]
    # its own write comes back on the stream; it unfurls nothing twice
    assert [e for e in run_unfurler(tap) if e["t"] == "MESSAGE_UPDATE"] == []
    assert pages.hits["/og"] == 1


def test_links_in_code_or_angle_brackets_are_not_previewed(chat: Chat, pages: PagesServer) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    send(owner, channel, f"`{pages.base}/og?n=1` <{pages.base}/og?n=2>\n```\n{pages.base}/og\n```")
    assert [e for e in run_unfurler(tap) if e["t"] == "MESSAGE_UPDATE"] == []
    assert sum(pages.hits.values()) == 0


def test_an_image_link_is_an_image_embed_and_plain_text_none(
    chat: Chat, pages: PagesServer
) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    sent = send(owner, channel, f"{pages.base}/image.png and {pages.base}/text")
    run_unfurler(tap)
    image = f"{pages.base}/image.png"
    assert stored(owner, channel, sent.body["id"])["embeds"] == [
        {"type": "image", "url": image, "thumbnail": {"url": image}}
    ]
    assert pages.hits["/text"] == 1


def test_at_most_five_links_of_a_message_are_fetched(chat: Chat, pages: PagesServer) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    links = " ".join(f"{pages.base}/og{n}" for n in range(7))
    sent = send(owner, channel, links)
    run_unfurler(tap)
    embeds = stored(owner, channel, sent.body["id"])["embeds"]
    assert [e["url"] for e in embeds] == [f"{pages.base}/og{n}" for n in range(5)]
    assert sum(pages.hits.values()) == 5
    assert pages.hits["/og5"] == pages.hits["/og6"] == 0


def test_a_url_is_fetched_once_per_cache_period_failures_too(
    chat: Chat, pages: PagesServer
) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    first = send(owner, channel, f"{pages.base}/og {pages.base}/missing")
    run_unfurler(tap)
    second = send(owner, channel, f"again {pages.base}/og {pages.base}/missing")
    run_unfurler(tap)
    assert pages.hits["/og"] == 1
    assert pages.hits["/missing"] == 1
    for sent in (first, second):
        (embed,) = stored(owner, channel, sent.body["id"])["embeds"]
        assert embed["title"] == "A page worth sharing"


def test_an_edit_unfurls_the_new_links_and_drops_the_old(chat: Chat, pages: PagesServer) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    sent = send(owner, channel, f"{pages.base}/og")
    run_unfurler(tap)
    url = f"/channels/{channel}/messages/{sent.body['id']}"
    edited = request("PATCH", url, user=owner, body={"content": f"{pages.base}/title"})
    assert edited.status == 200, edited
    run_unfurler(tap)
    (embed,) = stored(owner, channel, sent.body["id"])["embeds"]
    assert embed["title"] == "Only a title"
    request("PATCH", url, user=owner, body={"content": "no links now"})
    (update,) = [
        e
        for e in run_unfurler(tap)
        if e["t"] == "MESSAGE_UPDATE" and "embeds" in e["d"] and "content" not in e["d"]
    ]
    assert update["d"]["embeds"] == []
    assert stored(owner, channel, sent.body["id"])["embeds"] == []


def test_the_author_suppresses_embeds_with_the_flag_and_they_stay_away(
    chat: Chat, pages: PagesServer
) -> None:
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    sent = send(owner, channel, f"{pages.base}/og")
    run_unfurler(tap)
    url = f"/channels/{channel}/messages/{sent.body['id']}"
    other = new_user()
    assert request("PATCH", url, user=other, body={"flags": 4}).status in (403, 404)
    suppressed = request("PATCH", url, user=owner, body={"flags": 4})
    assert suppressed.status == 200, suppressed
    assert suppressed.body["flags"] == 4
    assert suppressed.body["embeds"] == []
    assert suppressed.body["edited_timestamp"] is None
    request("PATCH", url, user=owner, body={"content": f"{pages.base}/title"})
    assert [
        e for e in run_unfurler(tap) if e["t"] == "MESSAGE_UPDATE" and "content" not in e["d"]
    ] == []
    message = stored(owner, channel, sent.body["id"])
    assert message["embeds"] == [] and message["flags"] == 4
    assert pages.hits["/title"] == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"flags": 2}, "invalid_flags"),
        ({"flags": 4 | 1}, "invalid_flags"),
        ({"flags": -1}, "invalid"),
        ({"flags": "4"}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_bad_flags_are_400s(chat: Chat, body: dict[str, Any], code: str) -> None:
    owner, channel = chat.owner, chat.channel
    sent = send(owner, channel, "hello")
    reply = request(
        "PATCH", f"/channels/{channel}/messages/{sent.body['id']}", user=owner, body=body
    )
    assert reply.status == 400, reply
    assert reply.body["code"] == code
    assert set(reply.body) <= {"code", "message", "errors"}


def test_without_the_allow_list_a_loopback_page_is_not_previewed(
    chat: Chat, pages: PagesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARLEY_UNFURL_ALLOW_NETWORKS")
    get_settings.cache_clear()
    unfurl.default_fetcher.cache_clear()
    assert get_settings().unfurl_allow_networks == []
    owner, channel, tap = chat.owner, chat.channel, chat.tap
    sent = send(owner, channel, f"{pages.base}/og")
    run_unfurler(tap)
    assert stored(owner, channel, sent.body["id"])["embeds"] == []
    assert sum(pages.hits.values()) == 0


def test_a_cached_outcome_is_used_until_its_time_and_then_fetched_again(
    chat: Chat, pages: PagesServer
) -> None:
    fetcher = unfurl.default_fetcher()
    url = f"{pages.base}/og"
    now = datetime.now(UTC)
    ttl = timedelta(seconds=get_settings().unfurl_cache_ttl_s)
    first = unfurl.preview(url, fetcher, now)
    assert unfurl.preview(url, fetcher, now + ttl - timedelta(seconds=1)) == first
    assert pages.hits["/og"] == 1
    assert unfurl.preview(url, fetcher, now + ttl) == first
    assert pages.hits["/og"] == 2


def test_a_dm_message_gets_its_embeds_and_the_update_goes_to_the_dm(
    chat: Chat, pages: PagesServer
) -> None:
    me, friend = acquaintances()
    opened = request("POST", "/users/@me/channels", user=me, body={"recipient_id": str(friend)})
    assert opened.status in (200, 201), opened
    dm = opened.body["id"]
    sent = send(me, dm, f"{pages.base}/og")
    (update,) = [e for e in run_unfurler(chat.tap) if e["t"] == "MESSAGE_UPDATE"]
    assert update["guild_id"] is None and update["channel_id"] == dm
    assert "guild_id" not in update["d"]
    (embed,) = stored(friend, dm, sent.body["id"])["embeds"]
    assert embed["title"] == "A page worth sharing"


def test_a_page_with_only_an_oembed_link_is_previewed_from_its_oembed_answer(
    chat: Chat, pages: PagesServer
) -> None:
    sent = send(chat.owner, chat.channel, f"{pages.base}/video")
    run_unfurler(chat.tap)
    assert stored(chat.owner, chat.channel, sent.body["id"])["embeds"] == [
        {
            "type": "link",
            "url": f"{pages.base}/video",
            "title": "A video",
            "thumbnail": {"url": f"{pages.base}/image.png"},
            "provider": {"name": "Videos Test"},
        }
    ]
    assert pages.hits["/oembed.json"] == 1
