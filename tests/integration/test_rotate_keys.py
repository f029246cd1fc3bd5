"""``parley rotate-keys`` as a deployer runs it: against a stack deployed by CloudFormation.

The template's data resources (the issuer bucket among them) are deployed into the project's
moto server with ``create_stack``; the keys are made as the stack's custom resource makes them
(moto cannot run Lambda); then the real command runs in its own process, with nothing but the
stack's name and ``AWS_ENDPOINT_URL``, and must publish the new key before it signs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiohttp import web
from samtranslator.translator.transform import transform

from emulator.jwt_authorizer import REFETCH_INTERVAL_S
from emulator.store import EmbeddedStore
from emulator.store_credentials import StoreCredentials
from shared.auth import keystore
from shared.auth.keyring import PUBLISH_LEAD_S, KeyRing
from shared.auth.keysource import local_key_file
from tests.conftest import REPO_ROOT
from tests.integration.test_deploy_data_resources import _deploy, data_resources_template
from tests.unit.test_template_sam import NoManagedPolicies, _source, _with_s3_artifacts

pytestmark = pytest.mark.integration

REGION = "us-east-1"
STACK = "parley-cfn"


@pytest.fixture
async def moto_server() -> AsyncIterator[str]:
    store = EmbeddedStore("127.0.0.1", 0, StoreCredentials.from_env())
    await store.start()
    try:
        yield store.endpoint_url
    finally:
        await store.stop()


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", "rotate-keys", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _clients(endpoint: str) -> tuple[Any, Any]:
    return (
        boto3.client("ssm", endpoint_url=endpoint, region_name=REGION),
        boto3.client("s3", endpoint_url=endpoint, region_name=REGION),
    )


async def test_rotate_keys_publishes_a_key_that_signs_two_hours_later(moto_server: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        transformed = transform(_with_s3_artifacts(_source()), {}, NoManagedPolicies())
    names = _deploy(moto_server, data_resources_template(transformed))
    bucket = names["IssuerBucket"]
    parameter = transformed["Parameters"]["SigningKeysParameter"]["Default"]
    ssm, s3 = _clients(moto_server)
    made = keystore.provision(
        ssm, signing_parameter=parameter, voice_parameter="/parley/voice-keys"
    )
    issuer = f"https://{bucket}.s3.{REGION}.amazonaws.com"
    keystore.publish(
        s3, bucket=bucket, issuer=issuer, signing_keys=made.signing_keys, voice_keys=made.voice_keys
    )
    first = KeyRing.from_json(made.signing_keys)

    env = {**os.environ, "AWS_ENDPOINT_URL": moto_server, "AWS_DEFAULT_REGION": REGION}
    env.pop("PARLEY_DATA_DIR", None)
    started = time.time()
    done = _run("--stack", STACK, env=env)
    assert done.returncode == 0, done.stdout + done.stderr

    ring = KeyRing.from_json(
        ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    )
    new = ring.keys[0]
    assert new.kid in done.stdout and "signs from" in done.stdout
    assert [k.kid for k in ring.keys][1:] == [first.signer.kid]
    assert started + PUBLISH_LEAD_S <= new.activates_at <= time.time() + PUBLISH_LEAD_S
    # Published now, both keys; the old key goes on signing until the new one's time.
    jwks = json.loads(s3.get_object(Bucket=bucket, Key=".well-known/jwks.json")["Body"].read())
    assert {k["kid"] for k in jwks["keys"]} == {new.kid, first.signer.kid}
    assert ring.signer.kid == first.signer.kid
    assert ring.signer_at(new.activates_at).kid == new.kid
    # The discovery document and the voice keys are left as they were.
    discovery = json.loads(
        s3.get_object(Bucket=bucket, Key=".well-known/openid-configuration")["Body"].read()
    )
    assert discovery["issuer"] == issuer


async def test_rotate_keys_names_what_is_missing_and_changes_nothing(moto_server: str) -> None:
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_server, "AWS_DEFAULT_REGION": REGION}
    done = _run("--stack", "no-such-stack", env=env)
    assert done.returncode == 2
    assert "no-such-stack" in done.stdout
    done = _run("--parameter", "/nope/signing-keys", "--bucket", "nope", env=env)
    assert done.returncode == 2
    assert "/nope/signing-keys" in done.stdout


def test_rotate_keys_on_the_local_stacks_key_file(tmp_path: Path) -> None:
    path = local_key_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(KeyRing.new_set_json())
    before = KeyRing.from_json(path.read_text())
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = _run("--data-dir", str(tmp_path), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    after = KeyRing.from_json(path.read_text())
    assert [k.kid for k in after.keys][1:] == [before.signer.kid]
    assert after.signer.kid == before.signer.kid
    assert after.keys[0].activates_at >= time.time() + PUBLISH_LEAD_S - 60
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    done = _run("--data-dir", str(tmp_path / "empty"), env=env)
    assert done.returncode == 2 and "parley dev" in done.stdout


@contextlib.asynccontextmanager
async def public_reads(s3: Any, bucket: str) -> AsyncIterator[str]:
    """The bucket's anonymous HTTPS reads, played over HTTP on loopback: each GET is the object
    of that key, read through the S3 API (moto's server routes ``/<name>/.well-known/jwks.json``
    to its own Cognito, so its path-style URLs cannot stand in for S3's)."""

    async def get(request: web.Request) -> web.Response:
        try:
            got = await asyncio.to_thread(
                s3.get_object, Bucket=bucket, Key=request.match_info["key"]
            )
        except s3.exceptions.NoSuchKey:
            return web.Response(status=404)
        return web.Response(body=got["Body"].read(), content_type=got["ContentType"])

    app = web.Application()
    app.router.add_get("/{key:.+}", get)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_published_documents_serve_a_jwt_authorizer_across_a_rotation(
    moto_server: str,
) -> None:
    """API Gateway's authorizer logic (the emulator's) reading the documents the stack publishes
    over HTTP: tokens of the first key, then of a rotated key, are accepted."""
    from emulator.jwt_authorizer import Allowed, JwtAuthorizer
    from emulator.template import JwtAuthorizerSpec
    from shared.auth.tokens import issue_access_token

    ssm, s3 = _clients(moto_server)
    s3.create_bucket(Bucket="issuer")
    async with public_reads(s3, "issuer") as issuer:
        made = keystore.provision(ssm, signing_parameter="/t/signing", voice_parameter="/t/voice")
        keystore.publish(
            s3,
            bucket="issuer",
            issuer=issuer,
            signing_keys=made.signing_keys,
            voice_keys=made.voice_keys,
        )
        spec = JwtAuthorizerSpec(name="ParleyJwt", issuer=issuer, audience=("parley",))
        authorizer = JwtAuthorizer(spec)

        def bearer(ring: KeyRing) -> str:
            minted = issue_access_token(
                ring, user_id=42, issuer=issuer, audience="parley", ttl_s=300
            )
            return f"Bearer {minted.token}"

        first = KeyRing.from_json(made.signing_keys)
        old_token = bearer(first)
        allowed = await authorizer.check(old_token)
        assert isinstance(allowed, Allowed), allowed
        assert allowed.claims["iss"] == issuer

        # A rotation whose key is due at once (lead 0, only here): its tokens name a kid the
        # cached JWKS lacks, so the authorizer refetches the republished set; both keys pass.
        rotated = keystore.rotate(
            ssm, s3, signing_parameter="/t/signing", bucket="issuer", lead_s=0
        )
        assert rotated.signer.kid != first.signer.kid
        # The authorizer refetches at most every REFETCH_INTERVAL_S: wait for it, bounded.
        new_token = bearer(rotated)
        deadline = time.monotonic() + REFETCH_INTERVAL_S + 10
        fresh = await authorizer.check(new_token)
        while not isinstance(fresh, Allowed) and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            fresh = await authorizer.check(new_token)
        assert isinstance(fresh, Allowed), fresh
        assert isinstance(await authorizer.check(old_token), Allowed)
