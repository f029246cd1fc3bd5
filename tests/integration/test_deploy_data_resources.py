"""The template's data resources, deployed by CloudFormation, serve the stack through the emulator.

template.yaml is transformed offline (the SAM translator), its data resources (tables, buckets,
queues, topics: what moto's CloudFormation creates; it skips API Gateway v2 and cannot run
Lambda) are deployed into a moto server with ``create_stack``, and ``parley dev`` is pointed at
that server with ``AWS_ENDPOINT_URL`` and the stack's name. The emulator serves both gateways
and the functions from the template, and must use exactly the tables CloudFormation made.
This is the LocalStack path (docs/deploy.md) with the moto server standing in for LocalStack.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from samtranslator.translator.transform import transform

from emulator.store import DATA_RESOURCE_TYPES, EmbeddedStore
from emulator.store_credentials import StoreCredentials
from tests.integration.conftest import register_user
from tests.integration.stackproc import StackProcess
from tests.unit.test_template_sam import NoManagedPolicies, _source, _with_s3_artifacts

pytestmark = pytest.mark.integration

REGION = "us-east-1"
STACK_NAME = "parley-cfn"
_REF_NAMES = re.compile(r"\$\{([^}!][^}.]*)")


def _references(node: Any) -> set[str]:
    """Every name a piece of template refers to (Ref, GetAtt, Sub variables)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(str(value))
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= set(_REF_NAMES.findall(text))
                if isinstance(value, list):
                    found |= _references(value[1])
            else:
                found |= _references(value)
    return found


def data_resources_template(transformed: dict[str, Any]) -> dict[str, Any]:
    """The transformed template cut down to its data resources, and to what those refer to
    (parameters, conditions): a template CloudFormation in moto can create whole."""
    keep = {k: r for k, r in transformed["Resources"].items() if r["Type"] in DATA_RESOURCE_TYPES}
    known = set(transformed.get("Parameters", {})) | {"AWS::NoValue"} | set(keep)
    for logical_id, resource in keep.items():
        foreign = {r for r in _references(resource) if not r.startswith("AWS::")} - known
        assert not foreign, f"{logical_id} refers to {foreign}, which is not a data resource"
    outputs = {
        k: o
        for k, o in transformed.get("Outputs", {}).items()
        if _references(o) - {"AWS::Region", "AWS::URLSuffix"} <= known and "Condition" not in o
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": transformed.get("Parameters", {}),
        "Conditions": transformed.get("Conditions", {}),
        "Resources": keep,
        "Outputs": outputs,
    }


def test_the_cut_keeps_the_data_and_only_the_data() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        transformed = transform(_with_s3_artifacts(_source()), {}, NoManagedPolicies())
    cut = data_resources_template(transformed)
    assert set(cut["Resources"]) >= {"Table", "AttachmentsBucket"}
    assert {r["Type"] for r in cut["Resources"].values()} <= DATA_RESOURCE_TYPES
    assert set(cut["Outputs"]) >= {"TableName", "AttachmentsBucketName"}
    assert "HttpApiUrl" not in cut["Outputs"]


@pytest.fixture
async def moto_server() -> AsyncIterator[str]:
    """The project's own moto server (emulator/store_server.py) on an ephemeral port."""
    store = EmbeddedStore("127.0.0.1", 0, StoreCredentials.from_env())
    await store.start()
    try:
        yield store.endpoint_url
    finally:
        await store.stop()


def _deploy(endpoint: str, template: dict[str, Any]) -> dict[str, str]:
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION)
    cfn.create_stack(StackName=STACK_NAME, TemplateBody=json.dumps(template))
    cfn.get_waiter("stack_create_complete").wait(
        StackName=STACK_NAME, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    (stack,) = cfn.describe_stacks(StackName=STACK_NAME)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    resources = cfn.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    # moto lists a resource skipped by its Condition as an entry with empty names.
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r["ResourceType"]}


async def test_cloudformation_data_resources_serve_the_stack_through_the_emulator(
    moto_server: str, tmp_path: Path
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        transformed = transform(_with_s3_artifacts(_source()), {}, NoManagedPolicies())
    template = data_resources_template(transformed)
    physical = await asyncio.to_thread(_deploy, moto_server, template)
    unconditional = {k for k, r in template["Resources"].items() if "Condition" not in r}
    assert unconditional <= set(physical) <= set(template["Resources"])
    table_name = physical["Table"]
    assert table_name != f"{STACK_NAME}-Table"  # CloudFormation's name, not the emulator's

    dynamodb = boto3.client("dynamodb", endpoint_url=moto_server, region_name=REGION)
    described = dynamodb.describe_table(TableName=table_name)["Table"]
    assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["GSI1"]
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name=REGION)
    encryption = s3.get_bucket_encryption(Bucket=physical["AttachmentsBucket"])
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    stack = StackProcess(
        tmp_path,
        extra_args=["--no-reload", "--stack-name", STACK_NAME],
        env={
            "AWS_ENDPOINT_URL": moto_server,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "PARLEY_BCRYPT_COST": "4",
            "PARLEY_DATA_DIR": str(tmp_path / "data"),
        },
    )
    info = await asyncio.to_thread(stack.start)
    try:
        assert info["store_url"] == moto_server
        assert info["embedded_store"] is False
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{info['http_url']}/api/v1/health") as response:
                assert response.status == 200
                assert (await response.json())["store"] == "ok"
            # A user registered into CloudFormation's table, signed in to the gateway.
            token = (await asyncio.to_thread(register_user, stack))["access_token"]
            async with session.ws_connect(f"{info['ws_url']}?token={token}") as ws:
                await ws.send_str(json.dumps({"op": 1, "d": None}))
                assert await ws.receive_json(timeout=20) == {
                    "op": 11,
                    "d": None,
                    "s": None,
                    "t": None,
                }
    finally:
        assert await asyncio.to_thread(stack.stop) == 0
    output = stack.output()
    assert f"using CloudFormation stack {STACK_NAME}'s resources" in output
    assert "created table" not in output
    # Exactly CloudFormation's table: the emulator made none of its own.
    assert dynamodb.list_tables()["TableNames"] == [table_name]
    assert "Traceback" not in output
