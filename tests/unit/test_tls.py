"""emulator/tls.py: the local CA, its certificates and the bundle the workers trust."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import pytest
import trustme

from emulator.tls import TRUST_VARIABLES, local_tls


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, name: str) -> None:
    """A full TLS handshake in memory (no sockets); raises what a client would see."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client_end = client.wrap_bio(c_in, c_out, server_hostname=name)
    server_end = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for side, end in (("client", client_end), ("server", server_end)):
            if not done[side]:
                try:
                    end.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "::1", "10.1.2.3"])
def test_the_bundle_verifies_the_served_certificate(tmp_path: Path, name: str) -> None:
    tls = local_tls(tmp_path, ["10.1.2.3"], {})
    client = ssl.create_default_context(cafile=str(tls.ca_bundle))
    handshake(tls.server, client, name)


def test_a_client_without_the_bundle_refuses_it(tmp_path: Path) -> None:
    tls = local_tls(tmp_path, [], {})
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls.server, ssl.create_default_context(cafile=certifi.where()), "127.0.0.1")


def test_a_name_it_was_not_issued_for_is_refused(tmp_path: Path) -> None:
    tls = local_tls(tmp_path, [], {})
    client = ssl.create_default_context(cafile=str(tls.ca_bundle))
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls.server, client, "example.com")


def test_the_ca_is_made_once_and_kept(tmp_path: Path) -> None:
    first = local_tls(tmp_path, [], {})
    kept = (tmp_path / "tls" / "local-ca.json").read_text()
    second = local_tls(tmp_path, [], {})
    assert (tmp_path / "tls" / "local-ca.json").read_text() == kept
    assert (tmp_path / "tls" / "local-ca.json").stat().st_mode & 0o077 == 0  # private
    # A client that trusted the first run's bundle trusts the second run's certificate.
    handshake(second.server, ssl.create_default_context(cafile=str(first.ca_bundle)), "localhost")


def test_the_bundle_keeps_the_roots_already_trusted(tmp_path: Path) -> None:
    roots = certifi.contents().strip()
    plain = local_tls(tmp_path / "a", [], {})
    assert roots in plain.ca_bundle.read_text()
    # A bundle the stack's own environment names (a proxy's CA, say) is kept instead.
    proxy = trustme.CA()
    named = tmp_path / "proxy.pem"
    proxy.cert_pem.write_to_path(str(named))
    tls = local_tls(tmp_path / "b", [], {"AWS_CA_BUNDLE": str(named)})
    text = tls.ca_bundle.read_text()
    local_ca = (tmp_path / "b" / "tls" / "ca.pem").read_text()
    assert proxy.cert_pem.bytes().decode() in text
    assert local_ca in text
    assert roots not in text
    # Its own bundle named back to it is not nested into itself.
    again = local_tls(tmp_path / "b", [], {"SSL_CERT_FILE": str(tls.ca_bundle)})
    text = again.ca_bundle.read_text()
    assert roots in text
    assert text.count(local_ca) == 1


def test_the_workers_are_told_of_the_bundle_by_every_usual_name(tmp_path: Path) -> None:
    tls = local_tls(tmp_path, [], {})
    assert tls.trust_env() == {
        "AWS_CA_BUNDLE": str(tls.ca_bundle),
        "REQUESTS_CA_BUNDLE": str(tls.ca_bundle),
        "SSL_CERT_FILE": str(tls.ca_bundle),
    }
    assert set(tls.trust_env()) == set(TRUST_VARIABLES)
