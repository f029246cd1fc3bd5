"""A deployment's keys: made once into SSM SecureStrings, their public halves published to S3.

The stack's keys custom resource (``functions/keys``) calls :func:`provision` on every Create and
Update, and ``parley rotate-keys`` calls :func:`rotate`; both publish with :func:`publish`.

- A key parameter that exists is never overwritten by provisioning: ``PutParameter`` without
  ``Overwrite`` creates it or fails, so two deploys racing keep one set. An existing value that is
  not a usable key set fails the deploy with a reason, rather than being replaced.
- The parameters use the *Intelligent-Tiering* tier: a set of three RSA keys (pending, signing,
  retiring) is over the standard tier's 4 KB, so SSM moves it to the advanced tier when it grows.
- The bucket holds the issuer's ``.well-known/openid-configuration`` and ``jwks.json``, and the
  voice key's public set (``.well-known/voice-jwks.json``, for the media nodes); the bucket policy
  makes ``.well-known/*`` and nothing else publicly readable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.auth.discovery import JWKS_PATH, OPENID_CONFIGURATION_PATH, discovery_document
from shared.auth.keyring import PUBLISH_LEAD_S, KeyRing, KeyRingError
from shared.errors import Unavailable
from shared.voice.token_keys import new_voice_keys_json, parse_voice_keys

__all__ = [
    "PUBLISHED_KEYS",
    "VOICE_JWKS_PATH",
    "KeyStoreError",
    "Provisioned",
    "provision",
    "publish",
    "publish_jwks",
    "rotate",
    "unpublish",
]

VOICE_JWKS_PATH = ".well-known/voice-jwks.json"
PUBLISHED_KEYS = (OPENID_CONFIGURATION_PATH, JWKS_PATH, VOICE_JWKS_PATH)
#: Short enough that a cache in front of the bucket picks up a rotation well within its lead.
CACHE_CONTROL = "public, max-age=300"


class KeyStoreError(Exception):
    """The keys cannot be made, read or published (the message names the parameter, never a key)."""


@dataclass(frozen=True)
class Provisioned:
    signing_created: bool
    voice_created: bool
    signing_keys: str
    voice_keys: str


def _create_or_read(ssm: Any, name: str, make: str, description: str) -> tuple[str, bool]:
    """The parameter's value, created as ``make`` if it did not exist (True) or as it was."""
    try:
        ssm.put_parameter(
            Name=name,
            Description=description,
            Value=make,
            Type="SecureString",
            Overwrite=False,
            Tier="Intelligent-Tiering",
        )
        return make, True
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ParameterAlreadyExists":
            raise KeyStoreError(f"cannot create {name}: {exc.response['Error']['Code']}") from exc
    return _read(ssm, name), False


def _read(ssm: Any, name: str) -> str:
    try:
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
    except ClientError as exc:
        raise KeyStoreError(f"cannot read {name}: {exc.response['Error']['Code']}") from exc


def provision(ssm: Any, *, signing_parameter: str, voice_parameter: str) -> Provisioned:
    """Both key sets, each made unless its parameter exists; either unusable is an error."""
    signing, signing_created = _create_or_read(
        ssm,
        signing_parameter,
        KeyRing.new_set_json(),
        "Parley access token signing keys (private JWK Set); rotate with parley rotate-keys",
    )
    voice, voice_created = _create_or_read(
        ssm,
        voice_parameter,
        new_voice_keys_json(),
        "Parley voice token signing key {kid, private_pem, jwks}",
    )
    try:
        KeyRing.from_json(signing)
    except KeyRingError as exc:
        raise KeyStoreError(f"{signing_parameter} holds no usable key set: {exc}") from exc
    try:
        parse_voice_keys(voice)
    except Unavailable as exc:
        raise KeyStoreError(f"{voice_parameter} holds no usable voice key") from exc
    return Provisioned(signing_created, voice_created, signing, voice)


def _put_json(s3: Any, bucket: str, key: str, document: dict[str, Any]) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, separators=(",", ":")).encode(),
        ContentType="application/json",
        CacheControl=CACHE_CONTROL,
    )


def publish_jwks(s3: Any, *, bucket: str, signing_keys: str) -> None:
    """The public half of the signing key set (every key of it) as the issuer's JWKS."""
    _put_json(s3, bucket, JWKS_PATH, KeyRing.from_json(signing_keys).jwks())


def publish(s3: Any, *, bucket: str, issuer: str, signing_keys: str, voice_keys: str) -> None:
    """The issuer's discovery document and JWKS, and the voice JWKS, into ``bucket``.

    The JWKS goes first: a discovery document never names a key set that is not there yet.
    """
    publish_jwks(s3, bucket=bucket, signing_keys=signing_keys)
    _put_json(s3, bucket, VOICE_JWKS_PATH, parse_voice_keys(voice_keys).jwks)
    _put_json(s3, bucket, OPENID_CONFIGURATION_PATH, discovery_document(issuer))


def unpublish(s3: Any, *, bucket: str) -> None:
    """The published documents removed (so that CloudFormation can delete the bucket)."""
    try:
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": key} for key in PUBLISHED_KEYS], "Quiet": True},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucket":
            raise


def rotate(
    ssm: Any,
    s3: Any,
    *,
    signing_parameter: str,
    bucket: str,
    now: float | None = None,
    lead_s: int = PUBLISH_LEAD_S,
) -> KeyRing:
    """A pending key added to the signing set and published; it signs ``lead_s`` from now.

    The JWKS is published before the parameter is written: a function can only ever sign with a
    key that is already in the JWKS, whatever happens between the two writes.
    """
    current = _read(ssm, signing_parameter)
    try:
        rotated = KeyRing.rotated_set_json(current, now=now, lead_s=lead_s)
    except KeyRingError as exc:
        raise KeyStoreError(f"{signing_parameter} holds no usable key set: {exc}") from exc
    publish_jwks(s3, bucket=bucket, signing_keys=rotated)
    ssm.put_parameter(
        Name=signing_parameter,
        Value=rotated,
        Type="SecureString",
        Overwrite=True,
        Tier="Intelligent-Tiering",
    )
    return KeyRing.from_json(rotated)
