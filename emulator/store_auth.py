"""Only the stack may talk to the embedded store: every request signed with its credentials.

moto answers anyone, unsigned requests included. On loopback that is every web page the
developer opens (and, through DNS rebinding, any site), and the table holds password hashes.
:class:`SignedOnly` sits in front of moto and lets a request through only when

- its SigV4 signature (an ``Authorization`` header, or a presigned URL's query string, as the
  UI's download links are) names the stack's access key id and is the signature botocore's own
  signer computes for that request with the stack's secret; a presigned URL also must not have
  expired;
- or it is a browser's form POST to a bucket: :class:`emulator.s3_post_policy.PostPolicyGate`
  then requires its policy signed with the same credentials, as S3 does;
- or it is a CORS preflight (``OPTIONS``) of a bucket's object, which S3 answers by that
  bucket's CORS rules (the UI's uploads are preflighted). Any other preflight is refused, and
  moto's own allow-everything CORS is off (emulator/store_server.py).

Everything else gets 403, before moto sees it.
"""

from __future__ import annotations

import hmac
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qsl, quote, unquote

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.s3_post_policy import utc_now
from emulator.store_credentials import StoreCredentials

__all__ = ["SignedOnly", "StoreRefused", "check_signature"]

_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<headers>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]+)$"
)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class StoreRefused(Exception):
    """Why the store will not answer a request (always 403)."""

    code: str
    message: str


def _unsigned() -> StoreRefused:
    return StoreRefused(
        "MissingAuthenticationToken",
        "The local store answers only requests signed with the stack's credentials"
        " (.parley/store-credentials.json).",
    )


def _header_value(environ: dict[str, Any], name: str) -> str | None:
    if name == "content-type":
        return environ.get("CONTENT_TYPE")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def _path(environ: dict[str, Any]) -> str:
    """The path in the encoded form a signature covers (each character encoded once, as S3
    decodes and re-encodes it: a client may send ``'`` as ``%27`` or as it is)."""
    return quote(str(environ.get("PATH_INFO", "/")).encode("latin-1"), safe="/~")


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """The query's parameters decoded (``+`` stays ``+``), in order: botocore encodes them
    again for the canonical request, whatever encoding the client's HTTP library chose."""
    pairs = []
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    return bytes(raw)


def _scope(credential: str, credentials: StoreCredentials) -> tuple[str, str]:
    """The region and service of a credential scope naming the stack's key id."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise StoreRefused("IncompleteSignature", "The credential scope is malformed.")
    if not hmac.compare_digest(parts[0], credentials.access_key_id):
        raise StoreRefused(
            "InvalidAccessKeyId",
            "The access key id is not the local stack's (.parley/store-credentials.json).",
        )
    return parts[2], parts[3]


def check_signature(environ: dict[str, Any], credentials: StoreCredentials, now: datetime) -> None:
    """Refuse (:class:`StoreRefused`) a request not signed with ``credentials``."""
    query = str(environ.get("QUERY_STRING", ""))
    params = dict(parse_qsl(query, keep_blank_values=True))
    header = str(environ.get("HTTP_AUTHORIZATION", "")).strip()
    if header:
        match = _HEADER.match(header)
        if match is None:
            raise StoreRefused("IncompleteSignature", "Only SigV4 signatures are accepted.")
        credential, names, given = match["credential"], match["headers"], match["signature"]
        timestamp = str(environ.get("HTTP_X_AMZ_DATE", ""))
        by_query = False
    elif "X-Amz-Signature" in params:
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise StoreRefused("IncompleteSignature", "Only SigV4 signatures are accepted.")
        credential = params.get("X-Amz-Credential", "")
        names, given = params.get("X-Amz-SignedHeaders", ""), params["X-Amz-Signature"]
        timestamp = params.get("X-Amz-Date", "")
        by_query = True
    else:
        raise _unsigned()
    region, service = _scope(credential, credentials)
    try:
        signed_at = datetime.strptime(timestamp, _TIMESTAMP).replace(tzinfo=UTC)
    except ValueError as exc:
        raise StoreRefused("IncompleteSignature", "The signature's date is missing.") from exc
    if by_query:
        expires = int(params.get("X-Amz-Expires", "0") or 0)
        if signed_at + timedelta(seconds=expires) < now:
            raise StoreRefused("AccessDenied", "Request has expired")
    headers = {}
    for name in names.split(";"):
        value = _header_value(environ, name)
        if value is None:
            raise StoreRefused("SignatureDoesNotMatch", f"The signed header {name} is missing.")
        headers[name] = value
    body = b"" if by_query or "x-amz-content-sha256" in headers else _body(environ)
    host = headers.get("host") or str(environ.get("HTTP_HOST", ""))
    # Everything but the signature itself is signed.
    signed = [(k, v) for k, v in _query_pairs(query) if not (by_query and k == "X-Amz-Signature")]
    request = AWSRequest(
        method=environ["REQUEST_METHOD"],
        url=f"http://{host}{_path(environ)}",
        headers=headers,
        data=body,
        params=cast(Any, signed),  # pairs: a key may repeat
    )
    request.context["timestamp"] = timestamp
    kinds = {
        (True, True): S3SigV4QueryAuth,
        (True, False): S3SigV4Auth,
        (False, True): SigV4QueryAuth,
        (False, False): SigV4Auth,
    }
    signer = kinds[(service == "s3", by_query)](
        Credentials(credentials.access_key_id, credentials.secret_access_key), service, region
    )
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, given):
        raise StoreRefused(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _refuse(
    refused: StoreRefused, environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """403 in the error shape the client's protocol reads: JSON for the JSON protocols
    (DynamoDB, SQS: an ``X-Amz-Target``), S3's XML otherwise. No CORS header, ever."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": refused.code, "message": refused.message}).encode()
        kind = "application/x-amz-json-1.0"
    else:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refused.code}</Code>'
            f"<Message>{refused.message}</Message></Error>"
        ).encode()
        kind = "application/xml"
    start_response("403 Forbidden", [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def _is_form_post(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and str(
        environ.get("CONTENT_TYPE", "")
    ).startswith("multipart/form-data")


def _is_object_preflight(environ: dict[str, Any]) -> bool:
    """A browser's preflight of an S3 bucket or object (the path names a bucket)."""
    path = str(environ.get("PATH_INFO", "/")).strip("/")
    return environ.get("REQUEST_METHOD") == "OPTIONS" and bool(path)


@dataclass
class SignedOnly:
    """WSGI middleware: requests reach the store only when signed with its credentials."""

    app: Callable[..., Iterable[bytes]]
    credentials: StoreCredentials
    clock: Callable[[], datetime] = utc_now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        signed = "HTTP_AUTHORIZATION" in environ or "X-Amz-Signature=" in str(
            environ.get("QUERY_STRING", "")
        )
        if not signed and (_is_form_post(environ) or _is_object_preflight(environ)):
            return self.app(environ, start_response)  # held to its policy / the bucket's CORS
        try:
            check_signature(environ, self.credentials, self.clock())
        except StoreRefused as refused:
            return _refuse(refused, environ, start_response)
        return self.app(environ, start_response)
