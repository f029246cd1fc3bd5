"""docs/deploy.md, run as a deployer runs it: its AWS commands against the embedded store, its
smoke check against a running stack.

Every fenced block of the guide that calls the AWS CLI must be tagged ``sh checked``; those
blocks run, in the guide's order, through the project's own AWS CLI (the ``awscli`` dev
dependency) against a moto server (``AWS_ENDPOINT_URL``), each in bash with ``set -euo
pipefail`` and the variables and functions the blocks before it defined. What the guide assumes
exists is made first: the ``parley`` stack, as CloudFormation deploys template.yaml's data
resources (in moto, which cannot run API Gateway or Lambda) with the API outputs pointing at a
``parley dev`` that serves that stack, and the deployer's Route 53 zone. The ``sh smoke`` block
(``uv run tools/smoke_check.py …``) then runs with the URLs the guide read from the outputs;
only its launcher differs: the project's interpreter already has the script's one dependency,
which ``uv run`` installs for a deployer.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from samtranslator.translator.transform import transform

from emulator.store import EmbeddedStore
from emulator.store_credentials import StoreCredentials
from tests.conftest import REPO_ROOT
from tests.integration.stackproc import StackProcess
from tests.integration.test_deploy_data_resources import data_resources_template
from tests.unit.test_template_sam import NoManagedPolicies, _source, _with_s3_artifacts

pytestmark = pytest.mark.integration

GUIDE = REPO_ROOT / "docs" / "deploy.md"
REGION = "us-east-1"
STACK = "parley"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
AWS_CALL = re.compile(r"(^|[\s$(|;&])aws\s+[a-z0-9-]+\s+[a-z]", re.M)
ASSIGNED = re.compile(r"(?:^|[\s;(])(?:export\s+)?([A-Z][A-Z0-9_]*)=")
READ_INTO = re.compile(r"\bread\s+-r\s+([A-Z][A-Z0-9_ ]*?)\s*<")
FUNCTION = re.compile(r"^([a-z_][a-z0-9_]*)\(\)\s*\{", re.M)
#: Blocks that need what other parts of the deployment bring: the stream failure queues in
#: template.yaml, and a media tier that reads its voice keys from the stack's SSM parameter.


@dataclass(frozen=True)
class Block:
    info: str
    body: str

    @property
    def tags(self) -> list[str]:
        return self.info.split()


def guide_blocks() -> list[Block]:
    return [Block(m["info"].strip(), m["body"]) for m in FENCE.finditer(GUIDE.read_text())]


def test_every_aws_command_of_the_guide_is_in_a_checked_block() -> None:
    blocks = guide_blocks()
    unchecked = [b.body for b in blocks if "checked" not in b.tags and AWS_CALL.search(b.body)]
    assert unchecked == []
    assert sum("checked" in b.tags for b in blocks) >= 5
    (smoke,) = [b for b in blocks if "smoke" in b.tags]
    assert smoke.body.startswith("uv run tools/smoke_check.py ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _parley_stack(http_url: str, websocket_url: str) -> dict[str, Any]:
    """template.yaml's data resources, with the API outputs a real deploy has (by their names in
    template.yaml) pointing at the local stack that will serve them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        transformed = transform(_with_s3_artifacts(_source()), {}, NoManagedPolicies())
    template = data_resources_template(transformed)
    declared = transformed["Outputs"]
    for key, value in {"HttpApiUrl": http_url, "WebSocketUrl": websocket_url}.items():
        assert key in declared, f"template.yaml has no {key} output"
        template["Outputs"][key] = {"Description": declared[key].get("Description"), "Value": value}
    return template


def _deploy(endpoint: str, template: dict[str, Any]) -> None:
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION)
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    cfn.get_waiter("stack_create_complete").wait(
        StackName=STACK, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    # The deployer's own domain, as step 0 asks.
    boto3.client("route53", endpoint_url=endpoint, region_name=REGION).create_hosted_zone(
        Name="example.com", CallerReference="deploy-guide-test"
    )


@pytest.fixture
async def store() -> AsyncIterator[str]:
    server = EmbeddedStore("127.0.0.1", 0, StoreCredentials.from_env())
    await server.start()
    try:
        yield server.endpoint_url
    finally:
        await server.stop()


def _environment(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PARLEY_"))}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            **StoreCredentials.from_env().env(),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_PAGER": "",
            # Nothing but the store is ever asked: no instance metadata endpoint either.
            "AWS_EC2_METADATA_DISABLED": "true",
            # The project's own aws and python first.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def _run_blocks(
    blocks: list[Block], env: dict[str, str], state: Path
) -> list[tuple[Block, subprocess.CompletedProcess[str]]]:
    """Each block in its own bash, given the variables and functions of the blocks before it."""
    text = "\n".join(b.body for b in blocks)
    names = sorted(
        set(ASSIGNED.findall(text)) | {n for m in READ_INTO.findall(text) for n in m.split()}
    )
    functions = sorted(set(FUNCTION.findall(text)))
    state.write_text("")
    # Whatever is set so far (a name a later block sets is not yet: no error for it).
    save = (
        f"declare -p {' '.join(names)} 2>/dev/null || true; "
        f"declare -f {' '.join(functions)} || true"
    )
    ran = []
    for block in blocks:
        script = f"source {shlex.quote(str(state))}\n{block.body}\n{{ {save}; }} > {state}.next\n"
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran.append((block, done))
        if done.returncode == 0:
            Path(f"{state}.next").replace(state)
    return ran


@pytest.mark.timeout(900)  # a stack, a dozen AWS CLI starts, CloudFormation in moto
async def test_the_guide_deploys_checks_and_tears_down(store: str, tmp_path: Path) -> None:
    http_port, ws_port = _free_port(), _free_port()
    http_url, websocket_url = f"http://127.0.0.1:{http_port}", f"ws://127.0.0.1:{ws_port}/v1"
    await asyncio.to_thread(_deploy, store, _parley_stack(http_url, websocket_url))
    env = _environment(store)
    stack = StackProcess(
        tmp_path,
        extra_args=[
            *("--http-port", str(http_port), "--ws-port", str(ws_port)),
            *("--stack-name", STACK, "--no-reload", "--no-media-node"),
        ],
        env={
            **{k: v for k, v in env.items() if k.startswith("AWS_")},
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(tmp_path / "data"),
            "PARLEY_VOICE_WATCH_SPAN_S": "0",
        },
    )
    info = await asyncio.to_thread(stack.start)
    try:
        assert info["http_url"] == http_url
        blocks = [b for b in guide_blocks() if "checked" in b.tags]
        (smoke,) = [b for b in guide_blocks() if "smoke" in b.tags]
        launcher = "uv run tools/smoke_check.py "
        smoke = Block(
            "sh",
            f"{shlex.quote(sys.executable)} tools/smoke_check.py " + smoke.body[len(launcher) :],
        )
        ran = await asyncio.to_thread(_run_blocks, [*blocks, smoke], env, tmp_path / "state.sh")
    finally:
        assert await asyncio.to_thread(stack.stop) == 0

    failed = [(b, done) for b, done in ran if done.returncode != 0]
    assert failed == [], "\n\n".join(f"{b.body}\n--- {d.stdout}\n{d.stderr}" for b, d in failed)
    outputs = "".join(done.stdout for _, done in ran)
    assert '"status"' in outputs  # curl's health answer
    assert "Parley works." in ran[-1][1].stdout, ran[-1][1].stdout
    # What the guide made and unmade in the account.
    ecr = boto3.client("ecr", endpoint_url=store, region_name=REGION)
    assert ecr.describe_repositories()["repositories"][0]["repositoryName"] == "parley-media-node"
    iam = boto3.client("iam", endpoint_url=store, region_name=REGION)
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1
    cfn = boto3.client("cloudformation", endpoint_url=store, region_name=REGION)
    live = {
        s["StackName"]
        for s in cfn.list_stacks()["StackSummaries"]
        if "DELETE" not in s["StackStatus"]
    }
    assert live == {STACK}  # the media tier was deployed, then torn down
