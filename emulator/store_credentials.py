"""The embedded store's credentials: the one key pair it answers, made once per data folder.

The store listens on loopback, where any web page the developer opens can send it requests.
It answers only requests signed (SigV4) with this pair (emulator/store_auth.py), so the pair
must be one no page can guess: random, kept in ``<data dir>/store-credentials.json`` (mode
0600), and handed to everything the stack starts (functions, media node, stream pump) as
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.local_files import write_once

__all__ = ["CREDENTIALS_FILE", "StoreCredentials", "local_store_credentials"]

CREDENTIALS_FILE = "store-credentials.json"


@dataclass(frozen=True, slots=True)
class StoreCredentials:
    """An access key id and its secret, as boto3 and the AWS CLI take them."""

    access_key_id: str
    secret_access_key: str

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.secret_access_key:
            raise ValueError("the store's credentials need an access key id and a secret")

    @classmethod
    def new(cls) -> StoreCredentials:
        """A fresh random pair, shaped like AWS's (a 20-character key id)."""
        return cls("PLOCAL" + secrets.token_hex(7).upper(), secrets.token_urlsafe(30))

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StoreCredentials:
        """The pair in ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``; ValueError if unset."""
        return cls(env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", ""))

    @classmethod
    def read(cls, path: Path) -> StoreCredentials:
        data = json.loads(path.read_text())
        return cls(data["aws_access_key_id"], data["aws_secret_access_key"])

    def env(self) -> dict[str, str]:
        """The environment variables boto3 and the AWS CLI sign with."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def as_json(self) -> str:
        return json.dumps(
            {
                "aws_access_key_id": self.access_key_id,
                "aws_secret_access_key": self.secret_access_key,
            }
        )


def local_store_credentials(data_dir: Path) -> StoreCredentials:
    """The data folder's pair, made on first use (and kept: a restarted stack is the same)."""
    path = data_dir / CREDENTIALS_FILE
    write_once(path, StoreCredentials.new().as_json())
    return StoreCredentials.read(path)
