"""TLS for the local ``@connections`` endpoint, from a local certificate authority.

On AWS a handler posts to ``https://{domainName}/{stage}``; so that the same code works here, the
emulator serves the endpoint over TLS too. Its certificate comes from a local CA made once and
kept under the data folder (``<data_dir>/tls/local-ca.json``, private; its certificate beside it
in ``ca.pem``, for anyone who wants to trust it by hand), with a fresh leaf certificate per run for
the loopback names. The workers trust it through their environment alone — ``AWS_CA_BUNDLE``
(botocore, and the fan-out's awscrt poster), ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE`` — which
name ``ca-bundle.pem``: the roots the process trusted already (an inherited bundle, else certifi's)
plus the local CA, so calls to real HTTPS endpoints keep working.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certifi
import trustme

from shared.local_files import write_once

__all__ = ["TRUST_VARIABLES", "LocalTls", "local_tls"]

#: The variables that name a CA bundle: botocore's, requests', and OpenSSL's (Python's ssl).
TRUST_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
#: The loopback names every leaf certificate covers.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: A leaf certificate lives as long as a browser would accept one (398 days).
_LEAF_DAYS = 398


@dataclass(frozen=True)
class LocalTls:
    """What a run serves with (``server``) and what its clients trust (``ca_bundle``)."""

    server: ssl.SSLContext
    ca_bundle: Path

    def trust_env(self) -> dict[str, str]:
        """The environment that makes a process trust the local CA (and what it trusted)."""
        return dict.fromkeys(TRUST_VARIABLES, str(self.ca_bundle))


def local_tls(data_dir: Path, hosts: Iterable[str], environ: Mapping[str, str]) -> LocalTls:
    """The local CA (made on first use), a leaf certificate for ``hosts`` and the loopback
    names, and the CA bundle that trusts it beside the roots ``environ`` already trusts."""
    folder = data_dir / "tls"
    authority = _authority(folder / "local-ca.json")
    now = datetime.now(UTC).replace(tzinfo=None)
    leaf = authority.issue_cert(
        *dict.fromkeys([*_LOOPBACK, *hosts]),
        organization_name="Parley local stack",
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=_LEAF_DAYS),
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server)
    ca_pem = authority.cert_pem.bytes().decode()
    _replace(folder / "ca.pem", ca_pem)
    bundle = folder / "ca-bundle.pem"
    _replace(bundle, _inherited_roots(environ, bundle).rstrip("\n") + "\n" + ca_pem)
    return LocalTls(server=server, ca_bundle=bundle)


def _authority(path: Path) -> trustme.CA:
    """The local CA, made once (several stacks may start together: the first one's stands)."""
    if not path.exists():
        made = trustme.CA(organization_name="Parley local stack")
        text = json.dumps(
            {
                "cert_pem": made.cert_pem.bytes().decode(),
                "private_key_pem": made.private_key_pem.bytes().decode(),
            }
        )
        write_once(path, text)
    kept = json.loads(path.read_text())
    return trustme.CA.from_pem(kept["cert_pem"].encode(), kept["private_key_pem"].encode())


def _inherited_roots(environ: Mapping[str, str], ours: Path) -> str:
    """The roots the stack's own environment trusts: a bundle it names (a proxy's CA, say),
    else certifi's, which botocore and requests use by default."""
    for name in TRUST_VARIABLES:
        named = environ.get(name)
        if named and Path(named).is_file() and Path(named).resolve() != ours.resolve():
            return Path(named).read_text()
    return Path(certifi.where()).read_text()


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole (written aside, then renamed): a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    scratch.write_text(text)
    os.replace(scratch, path)
