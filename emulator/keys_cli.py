"""``parley rotate-keys``: a new access token signing key, published now, signing in two hours.

API Gateway's JWT authorizer may cache the issuer's JWKS for two hours, so the new key enters
the set pending (``shared/auth/keyring.py``): the JWKS is republished at once, and every function
starts signing with the key by itself once its activation time has passed. Where the set lives:

- ``--stack NAME``: a deployed stack; its outputs name the key parameter and the issuer bucket
  (the deployer's own AWS credentials, as for ``sam deploy``);
- ``--parameter`` and ``--bucket``: the same, named by hand;
- neither: the local stack's key file in ``PARLEY_DATA_DIR`` (``parley dev``), which the auth
  function serves itself.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import secrets
from pathlib import Path
from typing import Any

from shared.auth.keyring import PUBLISH_LEAD_S, KeyRing, KeyRingError
from shared.auth.keysource import local_key_file

__all__ = ["add_parser", "main_from_args"]

#: The stack outputs ``--stack`` reads.
OUTPUT_PARAMETER = "SigningKeysParameterName"
OUTPUT_BUCKET = "IssuerBucketName"


class RotationError(Exception):
    """What stops a rotation, said in one line."""


def add_parser(sub: Any) -> None:
    rotate = sub.add_parser(
        "rotate-keys",
        help="add a signing key: published now, signing two hours from now (docs/auth.md)",
    )
    where = rotate.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack's name: rotate its keys")
    where.add_argument("--parameter", help="the SSM SecureString holding the signing key set")
    where.add_argument("--data-dir", type=Path, help="the local stack's data folder")
    rotate.add_argument("--bucket", help="with --parameter: the issuer bucket to publish to")
    rotate.add_argument("--region", help="AWS region (default: the AWS configuration's)")


def _utc(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _report(ring: KeyRing, where: str) -> str:
    pending = ring.keys[0]
    return (
        f"parley rotate-keys: key {pending.kid} added to {where}; published now, it signs "
        f"from {_utc(pending.activates_at)} ({len(ring.keys)} keys in the set)"
    )


def _rotate_local(data_dir: Path) -> str:
    path = local_key_file(data_dir)
    if not path.exists():
        raise RotationError(f"no key set at {path}: start `parley dev` once first")
    rotated = KeyRing.rotated_set_json(path.read_text(), lead_s=PUBLISH_LEAD_S)
    # Written aside and renamed: the functions never read half a set.
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(rotated)
        os.replace(scratch, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            scratch.unlink()
    return _report(KeyRing.from_json(rotated), str(path))


def _stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        raise RotationError(f"stack {stack}: {exc.response['Error']['Message']}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    missing = [k for k in (OUTPUT_PARAMETER, OUTPUT_BUCKET) if k not in outputs]
    if missing:
        raise RotationError(f"stack {stack} has no output {', '.join(missing)}")
    return outputs


def _rotate_remote(args: argparse.Namespace) -> str:
    import boto3

    from shared.auth import keystore

    session = boto3.session.Session(region_name=args.region)
    if args.stack:
        outputs = _stack_outputs(session.client("cloudformation"), args.stack)
        parameter, bucket = outputs[OUTPUT_PARAMETER], outputs[OUTPUT_BUCKET]
    else:
        parameter, bucket = args.parameter, args.bucket
        if not bucket:
            raise RotationError("--parameter needs --bucket (or use --stack)")
    try:
        ring = keystore.rotate(
            session.client("ssm"),
            session.client("s3"),
            signing_parameter=parameter,
            bucket=bucket,
        )
    except keystore.KeyStoreError as exc:
        raise RotationError(str(exc)) from exc
    return _report(ring, f"{parameter} (JWKS republished to s3://{bucket})")


def main_from_args(args: argparse.Namespace) -> int:
    """Run ``parley rotate-keys``; the exit status (2: nothing was rotated)."""
    try:
        if args.stack or args.parameter:
            message = _rotate_remote(args)
        else:
            from emulator.config import DevSettings

            data_dir = args.data_dir or DevSettings().data_dir
            message = _rotate_local(data_dir)
    except (RotationError, KeyRingError) as exc:
        print(f"parley rotate-keys: {exc}", flush=True)
        return 2
    print(message, flush=True)
    return 0
