"""Lambda entry point of the keys custom resource (``IssuerKeys`` in the template).

On Create and Update it makes the access token signing keys and the voice key unless their SSM
SecureStrings exist (CloudFormation's ``AWS::SSM::Parameter`` cannot make a SecureString), and
publishes the issuer's discovery document and JWKS to the issuer bucket
(``shared/auth/keystore.py``). On Delete it removes what it published, so the bucket can go,
and leaves the keys: a parameter may predate the stack, and a redeploy under the same parameter
names keeps them (``aws ssm delete-parameter`` removes them for good; docs/auth.md).

crhelper answers CloudFormation's presigned ``ResponseURL`` (and answers FAILED before the
function would time out, so a stack never hangs for an hour on a lost answer).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from shared.auth import keystore
from shared.observability import instrumented, logger

# AWS_CA_BUNDLE (botocore's own setting) also decides whom the answer's TLS trusts. crhelper's
# stub types ssl_verify as a bool, but its sender also takes a CA file's path.
_ca_bundle: Any = os.environ.get("AWS_CA_BUNDLE")
helper = CfnResource(log_level="INFO", sleep_on_delete=0, ssl_verify=_ca_bundle)


def _properties(event: dict[str, Any]) -> dict[str, str]:
    props = event.get("ResourceProperties") or {}
    wanted = ("SigningKeysParameter", "VoiceKeysParameter", "Bucket", "Issuer")
    missing = [name for name in wanted if not props.get(name)]
    if missing:
        raise ValueError(f"IssuerKeys needs {', '.join(missing)}")
    return {name: str(props[name]) for name in wanted}


@helper.create
@helper.update
def provision(event: dict[str, Any], context: LambdaContext) -> str:
    """Keys made if absent, public halves published; the physical id names the bucket."""
    props = _properties(event)
    made = keystore.provision(
        boto3.client("ssm"),
        signing_parameter=props["SigningKeysParameter"],
        voice_parameter=props["VoiceKeysParameter"],
    )
    keystore.publish(
        boto3.client("s3"),
        bucket=props["Bucket"],
        issuer=props["Issuer"],
        signing_keys=made.signing_keys,
        voice_keys=made.voice_keys,
    )
    logger.info(
        "keys provisioned",
        extra={
            "signing_keys_created": made.signing_created,
            "voice_keys_created": made.voice_created,
            "issuer": props["Issuer"],
        },
    )
    helper.Data.update({"Issuer": props["Issuer"]})
    # A new bucket is a new physical id: CloudFormation then deletes the old one's documents.
    return f"s3://{props['Bucket']}/.well-known/"


@helper.delete
def remove(event: dict[str, Any], context: LambdaContext) -> None:
    """The published documents removed; the keys stay (see the module's doc)."""
    bucket = (event.get("ResourceProperties") or {}).get("Bucket")
    if bucket:
        keystore.unpublish(boto3.client("s3"), bucket=str(bucket))


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    helper(event, context)
