"""The embedded store holds browser uploads (S3 form POSTs) to their signed policy, as S3 does.

The policies are real ones, made by boto3's ``generate_presigned_post`` (signing needs no
network); the store's application behind the gate is a recorder.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from werkzeug.test import Client

from emulator.s3_post_policy import PostPolicyGate
from emulator.store_credentials import StoreCredentials

SECRET = "gate-secret"
CREDENTIALS = StoreCredentials("AKID", SECRET)
BUCKET = "attachments"
KEY = "pending/1/2/cat.png"


class Recorder:
    """The store behind the gate: remembers what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length))
        start_response("204 No Content", [])
        return [b""]


def presigned(
    size: int = 5, expires_in: int = 600, credentials: StoreCredentials = CREDENTIALS
) -> dict[str, Any]:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    post: dict[str, Any] = client.generate_presigned_post(
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", size, size]],
        ExpiresIn=expires_in,
    )
    return post


def upload(
    fields: dict[str, str],
    data: bytes,
    *,
    now: datetime | None = None,
    bucket: str = BUCKET,
) -> tuple[int, str, Recorder]:
    recorder = Recorder()
    gate = PostPolicyGate(recorder, credentials=CREDENTIALS, clock=lambda: now or datetime.now(UTC))
    form: dict[str, Any] = dict(fields)
    form["file"] = (io.BytesIO(data), "cat.png", "image/png")
    response = Client(gate).post(f"/{bucket}", data=form)
    return response.status_code, response.get_data(as_text=True), recorder


def test_an_upload_that_keeps_to_its_policy_reaches_the_store_intact() -> None:
    status, _, recorder = upload(presigned(5)["fields"], b"12345")
    assert status == 204
    (body,) = recorder.bodies
    assert b"12345" in body and b'name="policy"' in body


def test_one_byte_more_or_less_than_the_policy_allows_is_refused() -> None:
    fields = presigned(5)["fields"]
    status, text, recorder = upload(fields, b"123456")
    assert (status, "EntityTooLarge") == (400, text.split("<Code>")[1].split("<")[0])
    status, text, _ = upload(fields, b"1234")
    assert status == 400 and "EntityTooSmall" in text
    assert recorder.bodies == []


def test_another_content_type_key_or_bucket_is_refused() -> None:
    fields = presigned(5)["fields"]
    for name, value in (("Content-Type", "text/html"), ("key", "pending/9/9/x.html")):
        status, text, recorder = upload({**fields, name: value}, b"12345")
        assert status == 403 and "AccessDenied" in text, (name, text)
        assert recorder.bodies == []
    status, _, _ = upload(fields, b"12345", bucket="another")
    assert status == 403


def test_a_tampered_policy_or_an_extra_field_is_refused() -> None:
    fields = presigned(5)["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [
        c if not (isinstance(c, list) and c[0] == "content-length-range") else [c[0], 0, 10**9]
        for c in policy["conditions"]
    ]
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    status, text, _ = upload({**fields, "policy": forged}, b"123456")
    assert status == 403 and "SignatureDoesNotMatch" in text
    status, text, _ = upload({**fields, "acl": "public-read"}, b"12345")
    assert status == 403 and "Extra input fields: acl" in text
    status, _, _ = upload({**fields, "x-ignore-note": "fine"}, b"12345")
    assert status == 204


def test_an_expired_policy_is_refused() -> None:
    fields = presigned(5, expires_in=60)["fields"]
    later = datetime.now(UTC) + timedelta(seconds=61)
    status, text, _ = upload(fields, b"12345", now=later)
    assert status == 403 and "Policy expired" in text


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_other_requests_pass_untouched(method: str) -> None:
    recorder = Recorder()
    response = Client(PostPolicyGate(recorder, credentials=CREDENTIALS)).open(
        f"/{BUCKET}/{KEY}", method=method, data=b"raw"
    )
    assert response.status_code == 204
    assert recorder.bodies == [b"raw"]


def test_an_upload_without_a_policy_or_signed_by_another_key_is_refused() -> None:
    status, text, recorder = upload({"key": KEY, "Content-Type": "image/png"}, b"12345")
    assert status == 403 and "AccessDenied" in text
    other = presigned(5, credentials=StoreCredentials("OTHERKEY", "other-secret"))["fields"]
    status, text, _ = upload(other, b"12345")
    assert status == 403 and "InvalidAccessKeyId" in text
    same_key_other_secret = presigned(5, credentials=StoreCredentials("AKID", "guess"))["fields"]
    status, text, _ = upload(same_key_other_secret, b"12345")
    assert status == 403 and "SignatureDoesNotMatch" in text
    assert recorder.bodies == []
