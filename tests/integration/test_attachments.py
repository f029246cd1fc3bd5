"""Attachments through the running stack: a browser-style upload straight to the embedded
store's S3, a message that carries it live to another member, and the download.

The upload is what a browser's form POST sends (multipart, the presigned fields then ``file``,
with an ``Origin``); the store holds it to its signed policy as S3 does, so a body of another
size is refused by the store itself, whatever the client declared.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.integration.chat import User, guild_with
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import StackProcess, wait_for

pytestmark = pytest.mark.integration

UI_ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_form(
    http: aiohttp.ClientSession, upload: dict[str, Any], data: bytes, filename: str
) -> tuple[int, str, dict[str, str]]:
    """The upload as a browser's FormData POST sends it: the fields, then the file last."""
    form = aiohttp.FormData()
    for name, value in upload["fields"].items():
        form.add_field(name, value)
    form.add_field("file", data, filename=filename, content_type=upload["fields"]["Content-Type"])
    async with http.post(upload["url"], data=form, headers={"Origin": UI_ORIGIN}) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_a_file_uploaded_by_one_member_reaches_another_and_downloads(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice, bob = User.register(parley_stack, http), User.register(parley_stack, http)
    guild = await guild_with(alice, bob)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    watching = GatewayClient(bob.stack.info["ws_url"], bob.token, bob.http)
    await watching.connect()
    await watching.identify()

    data = "bonjour, Bob \N{WAVING HAND SIGN}\n".encode()
    grant = await alice.call(
        "POST",
        f"/channels/{channel}/attachments",
        {"filename": "hello.txt", "content_type": "text/plain", "size": len(data)},
        expect=201,
    )
    upload = grant["upload"]
    # The browser asks first (CORS preflight), then posts: both answered by the bucket's rules.
    preflight = {"Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST"}
    async with http.options(upload["url"], headers=preflight) as response:
        assert response.status == 200
        assert response.headers.get("Access-Control-Allow-Origin") in (UI_ORIGIN, "*")
    status, text, headers = await post_form(http, upload, data, "hello.txt")
    assert status == 204, text
    assert headers.get("Access-Control-Allow-Origin") in (UI_ORIGIN, "*")

    attachment_id = grant["attachment"]["id"]
    sent = await alice.call(
        "POST",
        f"/channels/{channel}/messages",
        {"content": "", "attachments": [attachment_id]},
        expect=201,
    )
    created = await watching.wait_for(
        lambda f: f.get("t") == "MESSAGE_CREATE" and f["d"]["id"] == sent["id"], within=60
    )
    (attachment,) = created["d"]["attachments"]
    assert attachment["id"] == attachment_id
    assert (attachment["filename"], attachment["content_type"], attachment["size"]) == (
        "hello.txt",
        "text/plain",
        len(data),
    )
    async with http.get(attachment["url"], headers={"Origin": UI_ORIGIN}) as response:
        assert response.status == 200
        assert await response.read() == data
        assert response.headers["Content-Type"].startswith("text/plain")

    # Used once: a second message cannot carry it.
    again = await alice.call(
        "POST", f"/channels/{channel}/messages", {"content": "x", "attachments": [attachment_id]}
    )
    assert again["code"] == "invalid_attachment"
    await watching.drop()


async def test_the_store_itself_refuses_a_body_larger_than_the_signed_size(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice = User.register(parley_stack, http)
    guild = await guild_with(alice)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    grant = await alice.call(
        "POST",
        f"/channels/{channel}/attachments",
        {"filename": "small.png", "content_type": "image/png", "size": 10},
        expect=201,
    )
    status, text, _ = await post_form(http, grant["upload"], b"x" * 11, "small.png")
    assert status == 400, text
    assert "<Code>EntityTooLarge</Code>" in text
    # Another content type than the signed one is refused as well.
    lying = {
        **grant["upload"],
        "fields": {**grant["upload"]["fields"], "Content-Type": "text/html"},
    }
    status, text, _ = await post_form(http, lying, b"x" * 10, "small.html")
    assert status == 403, text
    # Nothing was stored, so no message may carry it.
    refused = await alice.call(
        "POST",
        f"/channels/{channel}/messages",
        {"content": "see", "attachments": [grant["attachment"]["id"]]},
    )
    assert refused["code"] == "attachment_not_uploaded"
    over = await alice.call(
        "POST",
        f"/channels/{channel}/attachments",
        {"filename": "big.zip", "content_type": "application/zip", "size": 25 * 1024 * 1024 + 1},
    )
    assert over["code"] == "attachment_too_large"


async def test_a_message_naming_an_upload_that_was_never_made_is_a_400(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice = User.register(parley_stack, http)
    guild = await guild_with(alice)
    channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
    grant = await alice.call(
        "POST",
        f"/channels/{channel}/attachments",
        {"filename": "later.png", "content_type": "image/png", "size": 10},
        expect=201,
    )
    attachment_id = grant["attachment"]["id"]

    refused = await alice.call(  # nothing was ever POSTed to the store
        "POST",
        f"/channels/{channel}/messages",
        {"content": "see", "attachments": [attachment_id]},
        expect=400,
    )

    assert refused["code"] == "attachment_not_uploaded"
    assert isinstance(refused["message"], str) and refused["message"]
    assert attachment_id in refused["errors"]["attachments"]


# ---------------------------------------------------------------- files go with their message
PASSWORD = "correct-Horse-battery-9"


async def member(stack: StackProcess, http: aiohttp.ClientSession) -> User:
    """A user registered through the stack (with a password no policy would refuse)."""
    name = f"u{secrets.token_hex(6)}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    url = f"{stack.info['http_url']}/api/v1/auth/register"
    async with http.post(url, json=body) as response:
        assert response.status == 201, await response.text()
        answer = await response.json()
    return User(stack, http, answer["access_token"], answer["user"]["id"], name)


async def attach(
    http: aiohttp.ClientSession, user: User, channel: str, name: str
) -> tuple[str, str]:
    """A message carrying one uploaded file; (the message id, the bucket the file is in)."""
    data = f"the file {name}".encode()
    grant = await user.call(
        "POST",
        f"/channels/{channel}/attachments",
        {"filename": name, "content_type": "text/plain", "size": len(data)},
        expect=201,
    )
    status, text, _ = await post_form(http, grant["upload"], data, name)
    assert status == 204, text
    body = {"content": "", "attachments": [grant["attachment"]["id"]]}
    sent = await user.call("POST", f"/channels/{channel}/messages", body, expect=201)
    return sent["id"], urlsplit(grant["upload"]["url"]).path.strip("/")


def objects_under(stack: StackProcess, bucket: str, channels: list[str]) -> set[str]:
    """Every key the store holds for these channels (stored copies and uploads)."""
    s3 = stack.store_client("s3")
    keys: set[str] = set()
    for channel in channels:
        for prefix in (f"attachments/{channel}/", f"pending/{channel}/"):
            found = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            keys |= {o["Key"] for o in found}
    return keys


async def text_channel(owner: User) -> tuple[dict[str, Any], str]:
    """A new guild of ``owner``'s and its text channel's id."""
    guild = await guild_with(owner)
    return guild, next(c for c in guild["channels"] if c["type"] == 0)["id"]


async def gone(stack: StackProcess, bucket: str, channels: list[str], what: str) -> None:
    """Wait (at most 60 s) until the store holds nothing for these channels."""
    await asyncio.to_thread(
        wait_for, lambda: not objects_under(stack, bucket, channels), 60, what, 0.1
    )


async def test_deleting_a_message_deletes_its_file_from_the_store(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice = await member(parley_stack, http)
    _, channel = await text_channel(alice)
    doomed, bucket = await attach(http, alice, channel, "doomed.txt")
    kept, _ = await attach(http, alice, channel, "kept.txt")
    history = await alice.call("GET", f"/channels/{channel}/messages", expect=200)
    url = next(m for m in history if m["id"] == doomed)["attachments"][0]["url"]
    async with http.get(url) as response:
        assert response.status == 200
    assert len(objects_under(parley_stack, bucket, [channel])) == 4

    await alice.call("DELETE", f"/channels/{channel}/messages/{doomed}", expect=204)

    def only_kept_left() -> bool:
        return {k.rsplit("/", 1)[1] for k in objects_under(parley_stack, bucket, [channel])} == {
            "kept.txt"
        }

    await asyncio.to_thread(wait_for, only_kept_left, 60, "the deleted message's file", 0.1)
    async with http.get(url) as response:
        # The link a member still holds leads nowhere (moto answers a presigned GET of a
        # missing key with 403, S3 with 403 or 404 by the reader's rights).
        assert response.status in (403, 404)
    assert kept in {m["id"] for m in await alice.call("GET", f"/channels/{channel}/messages")}


async def test_deleting_a_guild_deletes_the_files_of_all_its_channels(
    http: aiohttp.ClientSession, parley_stack: StackProcess
) -> None:
    alice = await member(parley_stack, http)
    guild, first = await text_channel(alice)
    second = (
        await alice.call("POST", f"/guilds/{guild['id']}/channels", {"name": "more"}, expect=201)
    )["id"]
    _, elsewhere = await text_channel(alice)
    bucket = ""
    for channel, name in ((first, "a.txt"), (first, "b.txt"), (second, "c.txt")):
        _, bucket = await attach(http, alice, channel, name)
    await attach(http, alice, elsewhere, "survivor.txt")
    assert len(objects_under(parley_stack, bucket, [first, second])) == 6

    await alice.call("DELETE", f"/guilds/{guild['id']}", expect=204)

    await gone(parley_stack, bucket, [first, second], "the deleted guild's files")
    assert len(objects_under(parley_stack, bucket, [elsewhere])) == 2
