"""SigV4 for the fan-out's @connections POSTs, by the AWS Common Runtime.

botocore's ``SigV4Auth`` builds the canonical request in Python: about 50 µs of CPU a request,
a fifth of a whole delivery's budget. ``awscrt`` (AWS's common runtime, the signer behind
botocore's own SigV4a and the CRT clients) signs the same canonical request in C, in about 13 µs.
The result is byte for byte botocore's: the same ``Authorization``, ``X-Amz-Date`` and
``X-Amz-Security-Token`` headers for the same request at the same instant
(``tests/unit/test_signing.py`` compares them).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from awscrt import auth, http
from botocore.credentials import ReadOnlyCredentials
from yarl import URL

__all__ = ["ConnectionsSigner"]


class ConnectionsSigner:
    """Signs POSTs to API Gateway's management API with one set of credentials."""

    def __init__(
        self, credentials: ReadOnlyCredentials, region: str, service: str = "execute-api"
    ) -> None:
        self._provider = auth.AwsCredentialsProvider.new_static(
            credentials.access_key, credentials.secret_key, credentials.token
        )
        self._region = region
        self._service = service

    def headers(self, url: str, body: bytes, now: datetime | None = None) -> dict[str, str]:
        """The headers a POST of ``body`` to ``url`` (already percent-encoded) must carry,
        ``Host`` included: the HTTP client must send the host that was signed."""
        target = URL(url, encoded=True)
        path = target.raw_path + (f"?{target.raw_query_string}" if target.raw_query_string else "")
        config = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4,
            signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=self._provider,
            region=self._region,
            service=self._service,
            date=now or datetime.now(UTC),
            signed_body_value=hashlib.sha256(body).hexdigest(),
        )
        host = (target.host_port_subcomponent or "").lower()
        request = http.HttpRequest("POST", path, http.HttpHeaders([("Host", host)]))
        auth.aws_sign_request(request, config).result()
        return dict(request.headers)
