"""The keys custom resource under moto (SSM, S3), answering a stub of CloudFormation's
presigned ResponseURL: an HTTPS server on loopback that records the PUT it receives."""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import json
import ssl
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.auth.keyring import KeyRing
from tests.functional.conftest import FakeLambdaContext

SIGNING = "/parley-test/signing-keys"
VOICE = "/parley-test/voice-keys"
BUCKET = "parley-issuer-test"
ISSUER = f"https://{BUCKET}.s3.us-east-1.amazonaws.com"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/parley/5b7a1c80-0000-0000"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class ResponseUrl:
    """CloudFormation's side of a custom resource: records each answer PUT to it."""

    def __init__(self, directory: Path) -> None:
        self.ca_file, key_file = _self_signed(directory)
        self.answers: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        answered = threading.Condition()
        self._answered = answered
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with answered:
                    recorder.paths.append(self.path)
                    recorder.headers.append(dict(self.headers.items()))
                    recorder.answers.append(json.loads(body))
                    answered.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        return f"https://127.0.0.1:{port}/cloudformation-response/abc?X-Amz-Signature=sig"

    def last(self, count: int) -> dict[str, Any]:
        """The ``count``-th answer, waiting (bounded) for it to arrive."""
        with self._answered:
            assert self._answered.wait_for(lambda: len(self.answers) >= count, timeout=10)
            return self.answers[count - 1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def response_url(tmp_path: Path) -> Iterator[ResponseUrl]:
    stub = ResponseUrl(tmp_path)
    yield stub
    stub.close()


@pytest.fixture
def app(response_url: ResponseUrl, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/keys/app.py imported as Lambda would, trusting the stub's certificate."""
    monkeypatch.setenv("AWS_CA_BUNDLE", str(response_url.ca_file))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delitem(sys.modules, "functions.keys.app", raising=False)
    module = importlib.import_module("functions.keys.app")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return module


def _event(kind: str, url: str, **props: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:keys",
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": f"req-{kind}",
        "LogicalResourceId": "IssuerKeys",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:keys",
            "SigningKeysParameter": SIGNING,
            "VoiceKeysParameter": VOICE,
            "Bucket": BUCKET,
            "Issuer": ISSUER,
            **props,
        },
    }
    if kind != "Create":
        event["PhysicalResourceId"] = f"s3://{BUCKET}/.well-known/"
    return event


def _published(key: str) -> dict[str, Any]:
    got = boto3.client("s3", region_name="us-east-1").get_object(Bucket=BUCKET, Key=key)
    assert got["ContentType"] == "application/json"
    document: dict[str, Any] = json.loads(got["Body"].read())
    return document


def _parameter(name: str) -> dict[str, Any]:
    ssm = boto3.client("ssm", region_name="us-east-1")
    found: dict[str, Any] = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    return found


def test_the_first_deploy_makes_both_keys_and_publishes_the_issuer(
    app: ModuleType, response_url: ResponseUrl
) -> None:
    app.lambda_handler(_event("Create", response_url.url), FakeLambdaContext())

    answer = response_url.last(1)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"s3://{BUCKET}/.well-known/"
    assert answer["Data"] == {"Issuer": ISSUER}
    assert answer["RequestId"] == "req-Create"
    assert answer["LogicalResourceId"] == "IssuerKeys"
    assert response_url.paths[0] == "/cloudformation-response/abc?X-Amz-Signature=sig"
    # The presigned URL was signed for an empty content type.
    assert response_url.headers[0].get("content-type", "") == ""

    signing = _parameter(SIGNING)
    assert signing["Type"] == "SecureString"
    ring = KeyRing.from_json(signing["Value"])
    voice = _parameter(VOICE)
    assert voice["Type"] == "SecureString"
    assert set(json.loads(voice["Value"])) == {"kid", "private_pem", "jwks"}

    discovery = _published(".well-known/openid-configuration")
    assert discovery["issuer"] == ISSUER
    assert discovery["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    jwks = _published(".well-known/jwks.json")
    assert [k["kid"] for k in jwks["keys"]] == [k.kid for k in ring.keys]
    assert all("d" not in k for k in jwks["keys"])
    voice_jwks = _published(".well-known/voice-jwks.json")
    assert voice_jwks == json.loads(voice["Value"])["jwks"]
    assert "PRIVATE" not in json.dumps(voice_jwks)


def test_existing_keys_are_never_overwritten(app: ModuleType, response_url: ResponseUrl) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    mine = KeyRing.new_set_json()
    ssm.put_parameter(Name=SIGNING, Value=mine, Type="SecureString")

    app.lambda_handler(_event("Create", response_url.url), FakeLambdaContext())
    assert response_url.last(1)["Status"] == "SUCCESS"
    voice_first = _parameter(VOICE)["Value"]
    app.lambda_handler(_event("Update", response_url.url), FakeLambdaContext())
    assert response_url.last(2)["Status"] == "SUCCESS"

    assert _parameter(SIGNING)["Value"] == mine
    assert _parameter(VOICE)["Value"] == voice_first
    published = {k["kid"] for k in _published(".well-known/jwks.json")["keys"]}
    assert published == {k.kid for k in KeyRing.from_json(mine).keys}


def test_delete_removes_the_documents_and_leaves_the_keys(
    app: ModuleType, response_url: ResponseUrl
) -> None:
    app.lambda_handler(_event("Create", response_url.url), FakeLambdaContext())
    assert response_url.last(1)["Status"] == "SUCCESS"
    app.lambda_handler(_event("Delete", response_url.url), FakeLambdaContext())

    answer = response_url.last(2)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"s3://{BUCKET}/.well-known/"
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET)
    assert listed.get("KeyCount") == 0
    assert KeyRing.from_json(_parameter(SIGNING)["Value"]).keys
    assert _parameter(VOICE)["Value"]


@pytest.mark.parametrize("parameter", [SIGNING, VOICE])
def test_an_unusable_existing_key_fails_the_deploy_with_a_reason(
    app: ModuleType, response_url: ResponseUrl, parameter: str
) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=parameter, Value="random base64 from an old guide", Type="SecureString")

    app.lambda_handler(_event("Create", response_url.url), FakeLambdaContext())

    answer = response_url.last(1)
    assert answer["Status"] == "FAILED"
    assert parameter in answer["Reason"] and "usable" in answer["Reason"]
    assert _parameter(parameter)["Value"] == "random base64 from an old guide"
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=BUCKET)
    assert listed.get("KeyCount") == 0


def test_a_resource_without_its_properties_fails_with_a_reason(
    app: ModuleType, response_url: ResponseUrl
) -> None:
    event = _event("Create", response_url.url)
    del event["ResourceProperties"]["Bucket"]
    app.lambda_handler(event, FakeLambdaContext())

    answer = response_url.last(1)
    assert answer["Status"] == "FAILED"
    assert "Bucket" in answer["Reason"]
