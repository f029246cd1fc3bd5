"""S3's POST policy, enforced in front of the embedded store.

moto stores whatever a browser POSTs to a bucket: it checks neither the policy's signature,
its expiry, nor its conditions (content type, ``content-length-range``). On AWS, S3 refuses
such uploads, and Parley relies on that to hold its attachment limits whatever a client
claims. So the embedded store wraps moto's WSGI application in :class:`PostPolicyGate`, which
does what S3 does with a form POST (see "Creating a POST policy" in the S3 API reference,
sigv4-HTTPPOSTConstructPolicy):

- a form POST must carry a ``policy`` (the store takes no anonymous uploads), signed (SigV4,
  ``x-amz-signature``) with the store's own credentials (its access key id and secret);
- it must not have expired;
- every condition must hold: exact matches, ``eq`` and ``starts-with``, and the file's length
  within ``content-length-range`` (``EntityTooLarge`` / ``EntityTooSmall`` otherwise);
- every form field (but ``file``, ``policy``, ``x-amz-signature`` and ``x-ignore-*``) must be
  named by a condition.

A refused POST gets S3's XML error (without CORS headers: no page learns anything from it); an
accepted one reaches moto with its body intact, and its answer carries the CORS headers the
bucket's own rules give the request's ``Origin`` (moto adds none to a form POST's answer, and a
browser's upload with progress events is a CORS request).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.formparser import parse_form_data

from emulator.store_credentials import StoreCredentials

__all__ = ["PolicyRefused", "PostPolicyGate", "check_post", "no_cors", "utc_now"]

_EXEMPT = {"file", "policy", "x-amz-signature", "signature", "awsaccesskeyid"}


@dataclass(frozen=True)
class PolicyRefused(Exception):
    """What S3 answers to a POST its policy does not allow."""

    status: int
    code: str
    message: str


def _denied(message: str) -> PolicyRefused:
    return PolicyRefused(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _check_signature(fields: Mapping[str, str], credentials: StoreCredentials) -> None:
    credential = fields.get("x-amz-credential", "")
    parts = credential.split("/")
    if len(parts) != 5 or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise PolicyRefused(400, "InvalidArgument", "The POST is not signed with SigV4.")
    key_id, date, region, service, _ = parts
    if not hmac.compare_digest(key_id, credentials.access_key_id):
        raise PolicyRefused(
            403, "InvalidAccessKeyId", "The access key id is not the local stack's."
        )
    signing_key = _signing_key(credentials.secret_access_key, date, region, service)
    expected = hmac.new(signing_key, fields["policy"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        raise PolicyRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _condition_fields(conditions: Iterable[Any]) -> set[str]:
    named: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            named.update(k.lower() for k in condition)
        elif (
            isinstance(condition, list)
            and len(condition) == 3
            and condition[0] != ("content-length-range")
        ):
            named.add(str(condition[1]).lstrip("$").lower())
    return named


def _check_condition(condition: Any, fields: Mapping[str, str], size: int) -> None:
    if isinstance(condition, dict):
        for name, value in condition.items():
            if fields.get(name.lower()) != value:
                raise _denied(f'Policy Condition failed: ["eq", "${name}", "{value}"]')
        return
    if not isinstance(condition, list) or len(condition) != 3:
        raise _denied("Policy could not be parsed.")
    op = str(condition[0]).lower()
    if op == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            raise PolicyRefused(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            )
        if size < low:
            raise PolicyRefused(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum size"
            )
        return
    name = str(condition[1]).lstrip("$").lower()
    value = fields.get(name, "")
    if (op == "eq" and value != condition[2]) or (
        op == "starts-with" and not value.startswith(str(condition[2]))
    ):
        raise _denied(f'Policy Condition failed: ["{op}", "${name}", "{condition[2]}"]')
    if op not in ("eq", "starts-with"):
        raise _denied("Policy could not be parsed.")


def check_post(
    fields: Mapping[str, str],
    size: int,
    bucket: str,
    credentials: StoreCredentials,
    now: datetime,
) -> None:
    """Refuse (:class:`PolicyRefused`) a form POST that S3 would refuse.

    ``fields`` are the form's fields (names lower-cased, ``bucket`` included), ``size`` the
    length of its ``file``; ``credentials`` those the policy must be signed with.
    """
    try:
        policy = json.loads(base64.b64decode(fields["policy"], validate=True))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy["conditions"])
    except (KeyError, ValueError, TypeError, binascii.Error) as exc:
        raise _denied("Policy could not be parsed.") from exc
    _check_signature(fields, credentials)
    if expiration <= now:
        raise _denied("Policy expired.")
    for condition in conditions:
        _check_condition(condition, {**fields, "bucket": bucket}, size)
    named = _condition_fields(conditions)
    for name in fields:
        if name not in _EXEMPT and not name.startswith("x-ignore-") and name not in named:
            raise _denied(f"Extra input fields: {name}")


def _error(refused: PolicyRefused, start_response: Callable[..., Any]) -> list[bytes]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(refused.code)}</Code>"
        f"<Message>{escape(refused.message)}</Message></Error>"
    ).encode()
    reason = {400: "Bad Request", 403: "Forbidden"}.get(refused.status, "Error")
    start_response(
        f"{refused.status} {reason}",
        [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def utc_now() -> datetime:
    """Now, in UTC (the gates' default clock)."""
    return datetime.now(UTC)


def no_cors(bucket: str, origin: str) -> list[tuple[str, str]]:
    """A store without CORS rules."""
    return []


@dataclass
class PostPolicyGate:
    """WSGI middleware: form POSTs to a bucket pass only if their policy allows them.
    ``cors(bucket, origin)``: the CORS headers the bucket's rules give that origin."""

    app: Callable[..., Iterable[bytes]]
    credentials: StoreCredentials
    clock: Callable[[], datetime] = utc_now
    cors: Callable[[str, str], list[tuple[str, str]]] = no_cors

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        is_form = str(environ.get("CONTENT_TYPE", "")).startswith("multipart/form-data")
        if environ.get("REQUEST_METHOD") != "POST" or not is_form:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        probe = {**environ, "wsgi.input": io.BytesIO(raw)}
        _, form, files = parse_form_data(probe)
        environ["wsgi.input"] = io.BytesIO(raw)
        fields = {k.lower(): v for k, v in form.items()}
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        bucket = str(environ.get("PATH_INFO", "/")).strip("/").split("/", 1)[0]
        try:
            if "policy" not in fields:
                raise PolicyRefused(403, "AccessDenied", "An upload needs a signed policy.")
            if upload is None:
                raise PolicyRefused(400, "InvalidArgument", "POST requires a file field.")
            check_post(fields, size, bucket, self.credentials, self.clock())
        except PolicyRefused as refused:
            return _error(refused, start_response)
        origin = environ.get("HTTP_ORIGIN")
        allowed = self.cors(bucket, origin) if origin else []

        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, *allowed], *exc_info)

        return self.app(environ, respond)
