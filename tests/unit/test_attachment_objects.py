"""What S3's answers to HeadObject mean for a message that names an upload: a missing object is
the client's mistake (400 by the caller), a refused read is the deployment's (503, logged)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from shared.errors import HTTP_STATUS, Unavailable
from shared.messages.storage import attachment_objects as objects

KEY = "pending/1/2/file.png"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    objects.client.cache_clear()
    with Stubber(objects.client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    objects.client.cache_clear()


def _refuse(s3: Stubber, status: int, code: str) -> None:
    s3.add_client_error("head_object", service_error_code=code, http_status_code=status)


def test_an_upload_that_was_never_made_has_no_size(s3: Stubber) -> None:
    # What S3 answers a role that may list pending/ (the template grants it).
    _refuse(s3, 404, "404")
    assert objects.size_of(KEY) is None


def test_an_uploaded_object_has_its_size(s3: Stubber) -> None:
    s3.add_response(
        "head_object", {"ContentLength": 5}, {"Bucket": "parley-attachments", "Key": KEY}
    )
    assert objects.size_of(KEY) == 5


def test_a_refused_read_is_the_deployments_fault_and_says_so(
    s3: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    # What S3 answers a role without s3:ListBucket for a missing key, or without s3:GetObject.
    _refuse(s3, 403, "403")
    with pytest.raises(Unavailable) as raised:
        objects.size_of(KEY)
    assert raised.value.code == "attachments_unavailable"
    assert HTTP_STATUS[type(raised.value)] == 503
    logged: list[Any] = [r for r in caplog.records if "s3:ListBucket" in r.getMessage()]
    assert logged and logged[0].levelname == "ERROR"
