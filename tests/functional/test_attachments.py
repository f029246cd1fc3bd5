"""Attachments through the messages function under moto: presigned uploads and their limits,
and messages that may carry only what their author really uploaded to their channel.

The browser's POST to S3 is stood in for by a PutObject of the bytes at the granted key (moto
in-process does not serve form POSTs); S3's own enforcement of the POST policy is covered by
tests/unit/test_s3_post_policy.py and the integration test against the running stack.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from shared.config import get_settings
from shared.errors import Invalid
from shared.guilds.domain.permissions import Permission as P
from shared.ids import new_id
from shared.messages.domain.attachment import Upload
from shared.messages.domain.message import MAX_ATTACHMENTS
from shared.messages.storage import attachment_objects, uploads
from shared.table.transaction import Transaction
from tests.functional.apigw import LambdaContext, Reply, handler_for, request
from tests.functional.guildkit import StreamTap, create_guild, join, new_user, text_channel
from tests.functional.test_openapi_document import conforms

MAX = 25 * 1024 * 1024


@pytest.fixture(autouse=True)
def _bucket(bucket: str) -> str:
    """Every test here uses the attachments bucket (the ``bucket`` fixture)."""
    return bucket


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def ask(user: int, channel: str, **body: Any) -> Reply:
    fields = {"filename": "cat.png", "content_type": "image/png", "size": 5, **body}
    return request("POST", f"/channels/{channel}/attachments", user=user, body=fields)


def policy_of(reply: Reply) -> dict[str, Any]:
    encoded = reply.body["upload"]["fields"]["policy"]
    return dict(json.loads(base64.b64decode(encoded)))


def uploaded(user: int, channel: str, data: bytes = b"12345", **body: Any) -> str:
    """An attachment id whose file was uploaded (as the browser would) to its granted key."""
    reply = ask(user, channel, size=len(data), **body)
    assert reply.status == 201, reply
    s3().put_object(Bucket=get_settings().attachments_bucket, Key=reply.body["key"], Body=data)
    return str(reply.body["attachment"]["id"])


def send(user: int, channel: str, attachments: list[str], content: str = "") -> Reply:
    body = {"content": content, "attachments": attachments}
    return request("POST", f"/channels/{channel}/messages", user=user, body=body)


@pytest.fixture
def room() -> tuple[int, str]:
    owner = new_user()
    guild = create_guild(owner)
    return owner, text_channel(guild)


# ---------------------------------------------------------------- the upload grant
def test_an_upload_is_a_presigned_post_that_s3_holds_to_the_type_and_size(
    room: tuple[int, str], bucket: str
) -> None:
    owner, channel = room
    reply = ask(owner, channel, filename="../../etc/cat photo.PNG", size=1234)
    assert reply.status == 201, reply
    attachment = reply.body["attachment"]
    assert attachment["filename"] == "cat photo.PNG"  # the path is gone
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == 1234
    assert int(attachment["id"]) > 0
    key = reply.body["key"]
    assert key == f"pending/{channel}/{attachment['id']}/cat photo.PNG"
    upload = reply.body["upload"]
    assert upload["method"] == "POST"
    assert upload["url"].endswith(f"/{bucket}") or bucket in urlparse(upload["url"]).netloc
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "image/png"
    conditions = policy_of(reply)["conditions"]
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"key": key} in conditions
    assert {"bucket": bucket} in conditions


def test_the_size_limit_is_exact(room: tuple[int, str]) -> None:
    owner, channel = room
    assert ask(owner, channel, size=MAX).status == 201
    assert ask(owner, channel, size=0).status == 201
    over = ask(owner, channel, size=MAX + 1)
    assert over.status == 413, over
    assert over.body["code"] == "attachment_too_large"
    assert "size" in over.body["errors"]
    assert ask(owner, channel, size=-1).status == 400


@pytest.mark.parametrize(
    "content_type", ["text/html", "image/svg+xml", "application/javascript", "", "image"]
)
def test_only_allowed_content_types(room: tuple[int, str], content_type: str) -> None:
    owner, channel = room
    reply = ask(owner, channel, content_type=content_type)
    assert reply.status == 400, reply
    # The domain names the field; pydantic (an empty value) names it under "body.".
    assert [k.removeprefix("body.") for k in reply.body["errors"]] == ["content_type"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("text/plain; charset=utf-8", "text/plain"),
        ("IMAGE/JPEG", "image/jpeg"),
        ("application/pdf", "application/pdf"),
        ("application/zip", "application/zip"),
        ("video/mp4", "video/mp4"),
        ("audio/ogg", "audio/ogg"),
    ],
)
def test_allowed_content_types_are_normalised(
    room: tuple[int, str], given: str, stored: str
) -> None:
    owner, channel = room
    reply = ask(owner, channel, content_type=given)
    assert reply.status == 201, reply
    assert reply.body["attachment"]["content_type"] == stored
    assert {"Content-Type": stored} in policy_of(reply)["conditions"]


@pytest.mark.parametrize(
    "body",
    [
        {"filename": ""},
        {"filename": ".."},
        {"filename": "a/"},
        {"size": "5"},
        {"size": 1.5},
        {"extra": 1},
    ],
)
def test_bad_upload_requests_are_400s(room: tuple[int, str], body: dict[str, Any]) -> None:
    owner, channel = room
    reply = ask(owner, channel, **body)
    assert reply.status == 400, reply
    assert reply.body["code"]


def test_uploading_takes_view_send_and_attach_in_that_channel(room: tuple[int, str]) -> None:
    owner, channel = room
    guild_id = request("GET", f"/channels/{channel}", user=owner).body["guild_id"]
    stranger = new_user()
    assert ask(stranger, channel).status == 404  # a guild one is not in does not exist for one
    member = new_user()
    join({"id": guild_id, "owner_id": str(owner), "channels": [{"id": channel, "type": 0}]}, member)
    assert ask(member, channel).status == 201
    base = f"/channels/{channel}/permissions/{guild_id}"
    for denied in (P.ATTACH_FILES, P.SEND_MESSAGES, P.VIEW_CHANNEL):
        deny = {"type": 0, "deny": str(int(denied))}
        assert request("PUT", base, user=owner, body=deny).status == 204
        assert ask(member, channel).status == 403
        assert request("DELETE", base, user=owner).status == 204
    assert ask(member, channel).status == 201


def test_upload_requests_are_rate_limited_per_user_and_channel(room: tuple[int, str]) -> None:
    owner, channel = room
    for _ in range(20):
        reply = ask(owner, channel)
        assert reply.status == 201, reply
    assert reply.headers["x-ratelimit-remaining"] == "0"
    refused = ask(owner, channel)
    assert refused.status == 429, refused
    assert refused.body["code"] == "rate_limited"
    assert float(refused.headers["retry-after"]) > 0


# ---------------------------------------------------------------- messages that carry them
def test_a_message_may_carry_only_attachments(room: tuple[int, str], bucket: str) -> None:
    owner, channel = room
    attachment_id = uploaded(owner, channel, b"hello", filename="hi.txt", content_type="text/plain")
    reply = send(owner, channel, [attachment_id])
    assert reply.status == 201, reply
    assert reply.body["content"] == ""
    (attachment,) = reply.body["attachments"]
    assert {k: v for k, v in attachment.items() if k != "url"} == {
        "id": attachment_id,
        "filename": "hi.txt",
        "content_type": "text/plain",
        "size": 5,
    }
    url = urlparse(attachment["url"])
    assert url.path.endswith(f"/attachments/{channel}/{attachment_id}/hi.txt")
    query = parse_qs(url.query)
    assert query["response-content-type"] == ["text/plain"]
    assert "X-Amz-Signature" in query
    stored = s3().get_object(Bucket=bucket, Key=f"attachments/{channel}/{attachment_id}/hi.txt")
    assert stored["Body"].read() == b"hello"
    assert stored["ContentType"] == "text/plain"
    history = request("GET", f"/channels/{channel}/messages", user=owner).body
    assert history[0]["attachments"][0]["id"] == attachment_id
    assert "X-Amz-Signature" in history[0]["attachments"][0]["url"]


def test_without_content_or_attachments_a_message_is_refused(room: tuple[int, str]) -> None:
    owner, channel = room
    reply = send(owner, channel, [])
    assert reply.status == 400
    assert reply.body["code"] == "empty_message"


def test_at_most_ten_attachments(room: tuple[int, str]) -> None:
    owner, channel = room
    ids = [uploaded(owner, channel) for _ in range(MAX_ATTACHMENTS + 1)]
    over = send(owner, channel, ids, "too many")
    assert over.status == 400, over
    assert over.body["code"] == "too_many_attachments"
    assert "attachments" in over.body["errors"]
    fine = send(owner, channel, ids[:MAX_ATTACHMENTS], "ten")
    assert fine.status == 201, fine
    assert [a["id"] for a in fine.body["attachments"]] == ids[:MAX_ATTACHMENTS]


def test_an_attachment_serves_one_message(room: tuple[int, str]) -> None:
    owner, channel = room
    attachment_id = uploaded(owner, channel)
    assert send(owner, channel, [attachment_id]).status == 201
    again = send(owner, channel, [attachment_id])
    assert again.status == 400, again
    assert again.body["code"] == "invalid_attachment"
    assert attachment_id in again.body["errors"]["attachments"]
    twice = uploaded(owner, channel)
    assert send(owner, channel, [twice, twice]).body["code"] == "duplicate_attachment"


def test_two_messages_racing_for_one_attachment_cannot_both_win(room: tuple[int, str]) -> None:
    """Both passed the reads; the conditional delete in each transaction decides."""
    owner, channel = room
    upload = Upload(new_id(), int(channel), owner, "a.png", "image/png", 5)
    now = datetime.now(UTC)
    uploads.insert(upload, now + timedelta(hours=1))
    first, second = Transaction(), Transaction()
    uploads.claim(first, upload, owner, now)
    uploads.claim(second, upload, owner, now)
    first.commit()
    with pytest.raises(Invalid) as lost:
        second.commit()
    assert lost.value.code == "invalid_attachment"


def test_only_the_uploader_in_that_channel_may_attach(room: tuple[int, str]) -> None:
    owner, channel = room
    guild_id = request("GET", f"/channels/{channel}", user=owner).body["guild_id"]
    member = new_user()
    join({"id": guild_id, "owner_id": str(owner), "channels": [{"id": channel, "type": 0}]}, member)
    mine = uploaded(owner, channel)
    theirs = send(member, channel, [mine], "stolen")
    assert theirs.status == 400, theirs
    assert theirs.body["code"] == "invalid_attachment"
    other = request(
        "POST", f"/guilds/{guild_id}/channels", user=owner, body={"name": "other", "type": 0}
    ).body["id"]
    elsewhere = send(owner, other, [mine], "moved")
    assert elsewhere.status == 400, elsewhere
    assert send(owner, channel, [str(new_id())], "unknown").status == 400
    assert send(owner, channel, ["not-a-snowflake"], "bad").status == 400
    assert send(owner, channel, [mine], "still mine").status == 201


def test_a_file_must_really_be_uploaded_with_its_size(room: tuple[int, str], bucket: str) -> None:
    owner, channel = room
    never = ask(owner, channel).body["attachment"]["id"]
    reply = send(owner, channel, [never], "nothing there")
    assert reply.status == 400, reply
    assert reply.body["code"] == "attachment_not_uploaded"
    assert never in reply.body["errors"]["attachments"]
    granted = ask(owner, channel, size=5).body
    s3().put_object(Bucket=bucket, Key=granted["key"], Body=b"123456")  # not what was declared
    lied = send(owner, channel, [granted["attachment"]["id"]], "bigger")
    assert lied.status == 400, lied
    assert lied.body["code"] == "attachment_not_uploaded"


def test_an_expired_upload_cannot_be_attached(room: tuple[int, str], bucket: str) -> None:
    owner, channel = room
    upload = Upload(new_id(), int(channel), owner, "old.png", "image/png", 5)
    uploads.insert(upload, datetime.now(UTC) - timedelta(seconds=1))  # TTL not yet applied
    s3().put_object(Bucket=bucket, Key=upload.pending_key, Body=b"12345")
    reply = send(owner, channel, [str(upload.id)], "late")
    assert reply.status == 400, reply
    assert reply.body["code"] == "invalid_attachment"


def test_attaching_in_a_channel_needs_attach_files(room: tuple[int, str]) -> None:
    owner, channel = room
    guild_id = request("GET", f"/channels/{channel}", user=owner).body["guild_id"]
    member = new_user()
    join({"id": guild_id, "owner_id": str(owner), "channels": [{"id": channel, "type": 0}]}, member)
    attachment_id = uploaded(member, channel)
    base = f"/channels/{channel}/permissions/{guild_id}"
    deny = {"type": 0, "deny": str(int(P.ATTACH_FILES))}
    assert request("PUT", base, user=owner, body=deny).status == 204
    assert send(member, channel, [attachment_id], "with file").status == 403
    assert send(member, channel, [], "without file").status == 201


# ---------------------------------------------------------------- the emulator's bucket
def test_the_emulator_creates_the_templates_bucket_with_its_cors_rules() -> None:
    from emulator.store import ensure_buckets
    from tests.functional.apigw import template

    spec = template().buckets["AttachmentsBucket"]
    assert ensure_buckets(None, "us-east-1", [spec]) == [spec.name]
    assert ensure_buckets(None, "us-east-1", [spec]) == []  # already there: kept as it is
    (rule,) = s3().get_bucket_cors(Bucket=spec.name)["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"]
    assert {"GET", "POST"} <= set(rule["AllowedMethods"])
    assert rule["ExposeHeaders"] == ["ETag"]
    assert rule["MaxAgeSeconds"] == 3000


# ---------------------------------------------------------------- Discord's shapes (the UI's)
def test_the_uis_batch_of_slots_and_references_by_upload_key(
    room: tuple[int, str], bucket: str
) -> None:
    owner, channel = room
    files = [
        {"id": str(i), "filename": f"f{i}.txt", "file_size": 3, "content_type": "text/plain"}
        for i in range(MAX_ATTACHMENTS + 1)
    ]
    path = f"/channels/{channel}/attachments"
    over = request("POST", path, user=owner, body={"files": files})
    assert over.status == 400, over
    assert over.body["code"] == "too_many_attachments"
    reply = request("POST", path, user=owner, body={"files": files[:2]})
    assert reply.status == 201, reply
    slots = reply.body["attachments"]
    assert [s["id"] for s in slots] == ["0", "1"]  # the client's own ids
    for slot in slots:
        assert slot["upload_method"] == "POST"
        assert slot["upload_filename"].startswith(f"pending/{channel}/{slot['attachment_id']}/")
        assert slot["upload_fields"]["key"] == slot["upload_filename"]
        s3().put_object(Bucket=bucket, Key=slot["upload_filename"], Body=b"abc")
    refs = [
        {"id": s["id"], "filename": f"f{i}.txt", "uploaded_filename": s["upload_filename"]}
        for i, s in enumerate(slots)
    ]
    sent = request(
        "POST",
        f"/channels/{channel}/messages",
        user=owner,
        body={"content": "", "attachments": refs},
    )
    assert sent.status == 201, sent
    assert [a["id"] for a in sent.body["attachments"]] == [s["attachment_id"] for s in slots]


@pytest.mark.parametrize(
    "ref",
    [
        {"id": "0", "uploaded_filename": "attachments/1/2/x.png"},
        {"id": "0", "uploaded_filename": "pending/1/../x.png"},
        {"id": "0"},
        {"id": "-1"},
    ],
)
def test_a_reference_must_name_an_upload(room: tuple[int, str], ref: dict[str, Any]) -> None:
    owner, channel = room
    body = {"content": "x", "attachments": [ref]}
    reply = request("POST", f"/channels/{channel}/messages", user=owner, body=body)
    assert reply.status == 400, reply


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filename": "a.png", "content_type": "image/png"},
        {"filename": "a.png", "content_type": "image/png", "size": 1, "files": []},
        {"files": []},
    ],
)
def test_an_upload_request_has_one_shape_or_the_other(
    room: tuple[int, str], body: dict[str, Any]
) -> None:
    owner, channel = room
    reply = request("POST", f"/channels/{channel}/attachments", user=owner, body=body)
    assert reply.status == 400, reply


def test_a_lowered_limit_holds_for_uploads_made_before_it(
    room: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, channel = room
    early = uploaded(owner, channel, b"12345")
    monkeypatch.setenv("PARLEY_ATTACHMENT_MAX_BYTES", "4")
    get_settings.cache_clear()
    try:
        reply = send(owner, channel, [early], "too big now")
        assert reply.status == 413, reply
        assert reply.body["code"] == "attachment_too_large"
    finally:
        monkeypatch.delenv("PARLEY_ATTACHMENT_MAX_BYTES")
        get_settings.cache_clear()
    assert send(owner, channel, [early], "fine again").status == 201


# ---------------------------------------------------------------- files go with their message
def stored_keys(bucket: str) -> set[str]:
    """Test-only: every object key in the bucket."""
    pages = s3().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def test_deleting_a_message_deletes_its_files_and_no_others(
    room: tuple[int, str], bucket: str
) -> None:
    owner, channel = room
    tap = StreamTap()
    gone = send(owner, channel, [uploaded(owner, channel), uploaded(owner, channel)])
    kept = send(owner, channel, [uploaded(owner, channel)])
    assert gone.status == kept.status == 201
    tap.pump()
    before = stored_keys(bucket)
    assert len(before) == 6  # each file: its upload and its stored copy
    url = f"/channels/{channel}/messages/{gone.body['id']}"
    assert request("DELETE", url, user=owner).status == 204
    delivered = tap.pump()
    assert any(r["eventName"] == "REMOVE" for r in delivered)
    (kept_file,) = kept.body["attachments"]
    assert stored_keys(bucket) == {
        f"pending/{channel}/{kept_file['id']}/cat.png",
        f"attachments/{channel}/{kept_file['id']}/cat.png",
    }
    # a redelivered record (at-least-once delivery) finds nothing left, and fails nothing
    handler = handler_for("GuildStreamFunction")
    assert handler({"Records": delivered}, LambdaContext()) == {"batchItemFailures": []}


def test_deleting_a_guild_deletes_the_files_of_every_channel(
    room: tuple[int, str], bucket: str
) -> None:
    owner, channel = room
    guild_id = request("GET", f"/channels/{channel}", user=owner).body["guild_id"]
    other = request(
        "POST", f"/guilds/{guild_id}/channels", user=owner, body={"name": "second"}
    ).body["id"]
    elsewhere = text_channel(create_guild(owner, "Unrelated"))
    tap = StreamTap()
    for where in (channel, channel, other):
        assert send(owner, where, [uploaded(owner, where), uploaded(owner, where)]).status == 201
    assert send(owner, elsewhere, [uploaded(owner, elsewhere)]).status == 201
    tap.pump()
    assert len(stored_keys(bucket)) == 14
    assert request("DELETE", f"/guilds/{guild_id}", user=owner).status == 204
    tap.pump()
    assert {key.split("/")[1] for key in stored_keys(bucket)} == {elsewhere}


def test_deleting_objects_asks_s3_for_at_most_a_thousand_keys_a_call(bucket: str) -> None:
    keys = [f"attachments/1/{i}/f.txt" for i in range(attachment_objects.DELETE_BATCH + 1)]
    for key in (keys[0], keys[-1]):  # S3 deletes a missing key quietly: two suffice
        s3().put_object(Bucket=bucket, Key=key, Body=b"x")
    asked: list[int] = []
    client = attachment_objects.client()
    client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **_: asked.append(len(params["Delete"]["Objects"])),
    )
    attachment_objects.delete(keys)
    assert asked == [attachment_objects.DELETE_BATCH, 1]
    assert stored_keys(bucket) == set()


def test_upload_grants_and_messages_with_files_match_their_response_models(
    room: tuple[int, str],
) -> None:
    owner, channel = room
    path = "/channels/{channel_id}/attachments"
    one = ask(owner, channel)
    conforms("POST", path, one)
    files = [{"id": "slot", "filename": "f.txt", "file_size": 3, "content_type": "text/plain"}]
    conforms(
        "POST",
        path,
        request("POST", f"/channels/{channel}/attachments", user=owner, body={"files": files}),
    )
    sent = send(owner, channel, [uploaded(owner, channel)], "a cat")
    assert sent.status == 201 and sent.body["attachments"][0]["url"], sent
    conforms("POST", "/channels/{channel_id}/messages", sent)
