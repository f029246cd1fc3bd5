"""What the deployed stack does after its first deploy, read from the template as SAM expands it:
route edits go live, a new account can create it, and a missing upload is a 404 to the function."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_template_policies import _transform
from tests.unit.test_template_sam import _of_type, _source

#: A new account's concurrency quota; Lambda keeps at least this many unreserved.
NEW_ACCOUNT_CONCURRENCY = 10


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return _transform(_source())


def _websocket_api(template: dict[str, Any]) -> str:
    (api_id,) = (
        k
        for k, r in _of_type(template, "AWS::ApiGatewayV2::Api").items()
        if r["Properties"].get("ProtocolType") == "WEBSOCKET"
    )
    return api_id


def _of_api(template: dict[str, Any], kind: str, api_id: str) -> dict[str, dict[str, Any]]:
    return {
        k: r
        for k, r in _of_type(template, kind).items()
        if r["Properties"].get("ApiId") == {"Ref": api_id}
    }


def test_every_websocket_route_edit_goes_live_on_the_next_deploy(
    transformed: dict[str, Any],
) -> None:
    """A Deployment resource whose properties never change is created once: routes edited later
    would never reach the stage. The stage deploys every change itself instead."""
    api_id = _websocket_api(transformed)
    assert _of_api(transformed, "AWS::ApiGatewayV2::Deployment", api_id) == {}
    (stage,) = _of_api(transformed, "AWS::ApiGatewayV2::Stage", api_id).values()
    assert stage["Properties"].get("AutoDeploy") is True
    assert "DeploymentId" not in stage["Properties"]
    # Its first deployment already holds every route (created after them).
    routes = set(_of_api(transformed, "AWS::ApiGatewayV2::Route", api_id))
    depends = stage.get("DependsOn", [])
    assert routes <= set([depends] if isinstance(depends, str) else depends)


def test_the_emulator_still_serves_the_websocket_stage() -> None:
    from emulator.template import load_template
    from tests.conftest import REPO_ROOT

    spec = load_template(REPO_ROOT / "template.yaml")
    assert spec.websocket is not None and spec.websocket.stage == "v1"


def test_a_new_account_can_create_the_stack(transformed: dict[str, Any]) -> None:
    """Reserving concurrency fails when it would leave fewer than the account's unreserved
    minimum: on a new account (quota 10) any reservation at all does."""
    reserved = {
        k: r["Properties"]["ReservedConcurrentExecutions"]
        for k, r in _of_type(transformed, "AWS::Lambda::Function").items()
        if "ReservedConcurrentExecutions" in r["Properties"]
    }
    assert reserved == {}, f"fails on accounts whose quota is {NEW_ACCOUNT_CONCURRENCY}"


def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    props = template["Resources"][role]["Properties"]
    return [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_the_messages_function_learns_that_an_upload_is_missing(
    transformed: dict[str, Any],
) -> None:
    """S3 answers HeadObject of a missing key with 404 only to a caller that may list the
    bucket (for that key as s3:prefix); without it, 403, which Parley cannot tell from a
    denied read. The listing is held to pending/, where uploads wait."""
    statements = _statements(transformed, "MessagesFunctionRole")
    listing = [s for s in statements if "s3:ListBucket" in _actions(s)]
    assert len(listing) == 1, statements
    (grant,) = listing
    assert grant["Effect"] == "Allow"
    assert _actions(grant) == {"s3:ListBucket"}
    assert grant["Resource"] == {"Fn::GetAtt": ["AttachmentsBucket", "Arn"]}
    prefixes = grant["Condition"]["StringLike"]["s3:prefix"]
    assert (prefixes if isinstance(prefixes, list) else [prefixes]) == ["pending/*"]
    # HeadObject itself is GetObject on the upload's key.
    reads = [s for s in statements if "s3:GetObject" in _actions(s)]
    assert any({"Fn::Sub": "${AttachmentsBucket.Arn}/pending/*"} in s["Resource"] for s in reads), (
        reads
    )


def test_scheduled_functions_are_small_at_rest(transformed: dict[str, Any]) -> None:
    """The once-a-minute functions run at rest too: a small memory size keeps an idle
    deployment's bill to cents (docs/deploy.md, costs at rest)."""
    functions = _of_type(transformed, "AWS::Lambda::Function")
    rules = _of_type(transformed, "AWS::Events::Rule")
    scheduled = {
        target["Arn"]["Fn::GetAtt"][0]
        for rule in rules.values()
        if rule["Properties"].get("ScheduleExpression", "").startswith("rate(")
        for target in rule["Properties"]["Targets"]
    }
    assert scheduled >= {"VoiceWatchFunction", "SweeperFunction"}
    for logical_id in scheduled:
        assert functions[logical_id]["Properties"]["MemorySize"] <= 256, logical_id
