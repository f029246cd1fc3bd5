"""Requests to a store signed as boto3 signs them (SigV4, botocore's own signer), for tests that
send raw HTTP: the embedded store answers nothing else."""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.store_credentials import StoreCredentials

__all__ = ["signed_dynamodb_headers"]


def signed_dynamodb_headers(
    endpoint: str, action: str, body: bytes, credentials: StoreCredentials
) -> dict[str, str]:
    """The headers of a DynamoDB ``action`` POSTed to ``endpoint``, signed with ``credentials``."""
    request = AWSRequest(
        method="POST",
        url=f"{endpoint}/",
        data=body,
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{action}",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    keys = Credentials(credentials.access_key_id, credentials.secret_access_key)
    SigV4Auth(keys, "dynamodb", "us-east-1").add_auth(request)
    return dict(request.headers.items())
