"""Custom guild emoji: the routes, MANAGE_GUILD_EXPRESSIONS, the image, name and count limits,
GUILD_EMOJIS_UPDATE and the audit log, reactions with ``name:id``, and deleting one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlparse

import boto3
import pytest

from shared.config import get_settings
from shared.emojis.domain.emoji import IMAGE_MAX_BYTES
from shared.guilds.domain import size_limits as limits
from shared.guilds.domain.permissions import Permission as P
from shared.table.keys import GUILD_SK, guild_pk
from tests.functional.apigw import Reply, request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    join,
    member_with,
    new_user,
    set_attributes,
    text_channel,
)
from tests.images import data_uri, png

pytestmark = pytest.mark.usefixtures("store", "bucket")

PNG = data_uri(png())


def upload(guild: dict[str, Any], user: int, name: str = "party", image: str = PNG) -> Reply:
    body = {"name": name, "image": image}
    return request("POST", f"/guilds/{guild['id']}/emojis", user=user, body=body)


def stored_image(emoji_id: str) -> tuple[bytes, str] | None:
    """The image's bytes and content type as the bucket holds them, or None."""
    s3 = boto3.client("s3", region_name="us-east-1")
    try:
        got = s3.get_object(Bucket=get_settings().attachments_bucket, Key=f"emojis/{emoji_id}")
    except s3.exceptions.NoSuchKey:
        return None
    return got["Body"].read(), got["ContentType"]


def test_create_list_rename_delete_emit_updates_and_audit() -> None:
    owner = new_user()
    guild = create_guild(owner)
    member = new_user()
    join(guild, member)
    url = f"/guilds/{guild['id']}/emojis"
    tap = StreamTap()
    tap.read()
    made = upload(guild, owner)
    assert made.status == 201, made
    emoji = made.body
    assert emoji["name"] == "party"
    assert emoji["animated"] is False
    assert emoji["require_colons"] is True
    assert emoji["managed"] is False
    assert emoji["available"] is True
    assert emoji["user"]["id"] == str(owner)
    assert request("GET", url, user=member).body == [emoji]
    renamed = request("PATCH", f"{url}/{emoji['id']}", user=owner, body={"name": "fiesta"})
    assert renamed.status == 200
    assert renamed.body["name"] == "fiesta"
    assert request("DELETE", f"{url}/{emoji['id']}", user=owner).status == 204
    assert request("DELETE", f"{url}/{emoji['id']}", user=owner).status == 404
    assert request("GET", url, user=member).body == []
    events = tap.events()
    assert [e["t"] for e in events] == ["GUILD_EMOJIS_UPDATE"] * 3
    assert [[x["name"] for x in e["d"]["emojis"]] for e in events] == [["party"], ["fiesta"], []]
    assert all(e["d"]["guild_id"] == guild["id"] for e in events)
    assert [e["audit"]["action"] for e in events] == [60, 61, 62]
    StreamTap().pump()
    log = request("GET", f"/guilds/{guild['id']}/audit-log", user=owner).body
    assert [e["action_type"] for e in log["audit_log_entries"]][:3] == [62, 61, 60]


def test_the_image_is_stored_by_its_real_type_and_served_at_a_stable_link() -> None:
    owner = new_user()
    guild = create_guild(owner)
    data = png()
    emoji = upload(guild, owner, image=data_uri(data, "image/gif")).body  # the type lies
    assert stored_image(emoji["id"]) == (data, "image/png")
    link = request("GET", f"/emojis/{emoji['id']}", user=None)
    assert link.status == 302
    target = urlparse(link.headers["location"])
    assert target.path.endswith(f"/emojis/{emoji['id']}")
    request("DELETE", f"/guilds/{guild['id']}/emojis/{emoji['id']}", user=owner)
    assert stored_image(emoji["id"]) is None


def test_animated_gifs_are_told_apart() -> None:
    owner = new_user()
    guild = create_guild(owner)
    still = b"GIF89a" + b"\0" * 20 + b"\x21\xf9\x04" + b"\0" * 10
    moving = b"GIF89a" + b"\0" * 20 + b"\x21\xff\x0bNETSCAPE2.0" + b"\0" * 10
    assert upload(guild, owner, image=data_uri(still, "image/gif")).body["animated"] is False
    assert upload(guild, owner, image=data_uri(moving, "image/gif")).body["animated"] is True


def test_managing_needs_manage_guild_expressions_and_members_may_list() -> None:
    owner = new_user()
    guild = create_guild(owner)
    plain = new_user()
    join(guild, plain)
    allowed = member_with(guild, int(P.MANAGE_GUILD_EXPRESSIONS))
    stranger = new_user()
    refused = upload(guild, plain)
    assert (refused.status, refused.body["code"]) == (403, "missing_permissions"), refused
    emoji = upload(guild, allowed)
    assert emoji.status == 201
    one = f"/guilds/{guild['id']}/emojis/{emoji.body['id']}"
    assert request("PATCH", one, user=plain, body={"name": "nope"}).status == 403
    assert request("DELETE", one, user=plain).status == 403
    assert request("GET", f"/guilds/{guild['id']}/emojis", user=plain).status == 200
    assert request("GET", f"/guilds/{guild['id']}/emojis", user=stranger).status == 404
    assert upload(guild, stranger).status == 404
    assert request("PATCH", one, user=allowed, body={"name": "fine"}).status == 200
    assert request("DELETE", one, user=allowed).status == 204


def test_an_image_of_256_kb_is_taken_and_one_byte_more_is_413() -> None:
    owner = new_user()
    guild = create_guild(owner)
    header = b"\x89PNG\r\n\x1a\n"
    exactly = header + b"\0" * (IMAGE_MAX_BYTES - len(header))
    assert upload(guild, owner, image=data_uri(exactly)).status == 201
    over = upload(guild, owner, image=data_uri(exactly + b"\0"))
    assert over.status == 413
    assert over.body["code"] == "emoji_too_large"
    assert "image" in over.body["errors"]


@pytest.mark.parametrize(
    "image",
    [
        data_uri(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "image/png"),
        data_uri(b"<html><script>alert(1)</script></html>", "image/png"),
        data_uri(b"", "image/png"),
        "data:image/png;base64,not base64!",
        "https://example.com/party.png",
        png().hex(),
    ],
)
def test_what_is_not_a_png_gif_webp_or_jpeg_is_refused(image: str) -> None:
    owner = new_user()
    guild = create_guild(owner)
    refused = upload(guild, owner, image=image)
    assert refused.status == 400, refused
    assert refused.body["code"] == "invalid_image"


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 16, "image/jpeg"),
        (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 16, "image/webp"),
    ],
)
def test_jpeg_and_webp_are_taken(image: bytes, kind: str) -> None:
    owner = new_user()
    guild = create_guild(owner)
    made = upload(guild, owner, image=data_uri(image, "application/octet-stream"))
    assert made.status == 201, made
    assert stored_image(made.body["id"]) == (image, kind)


@pytest.mark.parametrize("name", ["x", "x" * 33, "a-b", "smile!", "", "émoji", "two words"])
def test_bad_names_are_refused(name: str) -> None:
    owner = new_user()
    guild = create_guild(owner)
    refused = upload(guild, owner, name=name)
    assert (refused.status, refused.body["code"]) == (400, "invalid_emoji_name"), refused
    made = upload(guild, owner).body
    url = f"/guilds/{guild['id']}/emojis/{made['id']}"
    renamed = request("PATCH", url, user=owner, body={"name": name})
    assert (renamed.status, renamed.body["code"]) == (400, "invalid_emoji_name")


def test_names_of_2_and_32_characters_are_taken_and_need_not_be_unique() -> None:
    owner = new_user()
    guild = create_guild(owner)
    for name in ("ab", "A_9" + "z" * 29, "ab", "AB"):
        assert upload(guild, owner, name=name).status == 201
    names = [e["name"] for e in request("GET", f"/guilds/{guild['id']}/emojis", user=owner).body]
    assert sorted(names) == sorted(["ab", "A_9" + "z" * 29, "ab", "AB"])


def test_the_50th_emoji_is_taken_and_the_51st_refused() -> None:
    owner = new_user()
    guild = create_guild(owner)
    key = {"PK": guild_pk(int(guild["id"])), "SK": GUILD_SK}
    set_attributes(key, emoji_count=limits.MAX_EMOJIS - 1)
    assert upload(guild, owner).status == 201
    refused = upload(guild, owner)
    assert (refused.status, refused.body["code"]) == (400, "max_emojis")
    listed = request("GET", f"/guilds/{guild['id']}/emojis", user=owner).body
    assert len(listed) == 1  # the refused one left no item
    first = listed[0]["id"]
    assert request("DELETE", f"/guilds/{guild['id']}/emojis/{first}", user=owner).status == 204
    assert upload(guild, owner).status == 201  # deleting one frees its place


def test_guild_create_carries_the_emojis() -> None:
    owner = new_user()
    guild = create_guild(owner)
    assert guild["emojis"] == []
    emoji = upload(guild, owner).body
    tap = StreamTap()
    tap.read()
    join(guild, new_user())
    created = [e for e in tap.events() if e["t"] == "GUILD_CREATE"]
    assert [e["d"]["emojis"] for e in created] == [[emoji]]


def _react(channel: str, message: str, emoji: str, user: int, method: str = "PUT") -> Reply:
    path = f"/channels/{channel}/messages/{message}/reactions/{quote(emoji, safe='')}/@me"
    return request(method, path, user=user)


def test_messages_carry_custom_emoji_text_and_reactions_take_name_and_id() -> None:
    owner = new_user()
    guild = create_guild(owner)
    member = new_user()
    join(guild, member)
    channel = text_channel(guild)
    emoji = upload(guild, owner).body
    text = f"<:party:{emoji['id']}> and <a:dance:{emoji['id']}>"
    sent = request("POST", f"/channels/{channel}/messages", user=member, body={"content": text})
    assert sent.body["content"] == text
    message = sent.body["id"]
    tap = StreamTap()
    tap.read()
    assert _react(channel, message, f"party:{emoji['id']}", member).status == 204
    added = [e for e in tap.events() if e["t"] == "MESSAGE_REACTION_ADD"]
    assert added[0]["d"]["emoji"] == {"id": emoji["id"], "name": "party"}
    history = request("GET", f"/channels/{channel}/messages", user=member).body
    assert history[0]["reactions"] == [
        {"emoji": {"id": emoji["id"], "name": "party"}, "count": 1, "me": True}
    ]
    assert _react(channel, message, "👍", member).status == 204  # unicode ones still work

    # deleting the emoji leaves the message and its reaction readable, by name
    request("DELETE", f"/guilds/{guild['id']}/emojis/{emoji['id']}", user=owner)
    after = request("GET", f"/channels/{channel}/messages", user=owner).body[0]
    assert after["content"] == text
    assert after["reactions"][0]["emoji"] == {"id": emoji["id"], "name": "party"}
    again = _react(channel, message, f"party:{emoji['id']}", owner)
    assert (again.status, again.body["code"]) == (400, "unknown_emoji")
    gone = _react(channel, message, f"party:{emoji['id']}", member, "DELETE")
    assert gone.status == 204  # one's own reaction can still be taken back


def test_a_reaction_with_an_unknown_or_another_guilds_emoji_is_refused() -> None:
    owner = new_user()
    guild = create_guild(owner)
    other = create_guild(owner, "Other guild")
    foreign = upload(other, owner).body
    channel = text_channel(guild)
    sent = request("POST", f"/channels/{channel}/messages", user=owner, body={"content": "hi"})
    for emoji in (f"party:{foreign['id']}", "party:123456789", "x:1"):
        refused = _react(channel, sent.body["id"], emoji, owner)
        assert refused.status == 400, (emoji, refused)
        expected = "invalid_emoji" if emoji == "x:1" else "unknown_emoji"
        assert refused.body["code"] == expected
    assert request("GET", f"/channels/{channel}/messages", user=owner).body[0]["reactions"] == []
