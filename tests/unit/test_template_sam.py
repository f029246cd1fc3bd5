"""template.yaml deploys: SAM transforms it offline, and cfn-lint finds nothing wrong with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode_str
from samtranslator.translator.transform import transform

from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "template.yaml"


class NoManagedPolicies:
    """The translator's managed-policy loader, offline: the template names no managed policy."""

    def load(self) -> dict[str, str]:
        return {}


def _with_s3_artifacts(node: Any) -> Any:
    """Local CodeUri/ContentUri paths replaced by what `sam package` would put there."""
    if isinstance(node, list):
        return [_with_s3_artifacts(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("CodeUri", "ContentUri") and isinstance(value, str):
            out[key] = f"s3://parley-artifacts/{value.strip('/.') or 'root'}.zip"
        else:
            out[key] = _with_s3_artifacts(value)
    return out


def _source() -> dict[str, Any]:
    decoded, problems = decode_str(TEMPLATE.read_text())
    assert not problems
    plain: dict[str, Any] = json.loads(json.dumps(decoded))
    return plain


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        output: dict[str, Any] = transform(_with_s3_artifacts(_source()), {}, NoManagedPolicies())
    return output


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_no_local_paths_are_left_for_the_translator() -> None:
    text = json.dumps(_with_s3_artifacts(_source()))
    assert '"CodeUri": "."' not in text
    assert '"ContentUri": "layer/"' not in text
    assert "s3://parley-artifacts/" in text


def test_every_serverless_function_becomes_a_lambda_function(
    transformed: dict[str, Any],
) -> None:
    source = _of_type(_source(), "AWS::Serverless::Function")
    functions = _of_type(transformed, "AWS::Lambda::Function")
    assert set(source) >= {
        "HealthFunction",
        "ConnectFunction",
        "DisconnectFunction",
        "DefaultFunction",
    }
    assert set(functions) == set(source)
    for logical_id, resource in functions.items():
        props = resource["Properties"]
        assert props["Handler"] == source[logical_id]["Properties"]["Handler"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["Code"]["S3Bucket"] == "parley-artifacts"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Environment"]["Variables"]["PARLEY_TABLE_NAME"] == {"Ref": "Table"}
        (layer,) = props["Layers"]
        assert layer["Ref"].startswith("DependenciesLayer")
    assert not _of_type(transformed, "AWS::Serverless::Function")


def test_the_layer_is_a_layer_version(transformed: dict[str, Any]) -> None:
    (layer,) = _of_type(transformed, "AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    assert layer["Properties"]["Content"]["S3Bucket"] == "parley-artifacts"


def test_health_route_is_on_the_http_api(transformed: dict[str, Any]) -> None:
    apis = _of_type(transformed, "AWS::ApiGatewayV2::Api")
    http = apis["HttpApi"]["Properties"]
    assert http["Body"]["paths"]["/api/v1/health"].keys() == {"get"}
    assert "HealthFunctionHealthPermission" in _of_type(transformed, "AWS::Lambda::Permission")


def test_websocket_api(transformed: dict[str, Any]) -> None:
    apis = _of_type(transformed, "AWS::ApiGatewayV2::Api")
    websockets = {
        k: r for k, r in apis.items() if r["Properties"].get("ProtocolType") == "WEBSOCKET"
    }
    assert list(websockets) == ["WebSocketApi"]
    assert websockets["WebSocketApi"]["Properties"]["RouteSelectionExpression"] == (
        "$request.body.op"
    )

    routes = _of_type(transformed, "AWS::ApiGatewayV2::Route")
    assert {r["Properties"]["RouteKey"] for r in routes.values()} == {
        "$connect",
        "$disconnect",
        "$default",
    }
    for route in routes.values():
        assert route["Properties"]["ApiId"] == {"Ref": "WebSocketApi"}

    (stage,) = (
        r
        for r in _of_type(transformed, "AWS::ApiGatewayV2::Stage").values()
        if r["Properties"]["ApiId"] == {"Ref": "WebSocketApi"}
    )
    assert stage["Properties"]["StageName"] == {"Ref": "WebSocketStageName"}
    assert transformed["Parameters"]["WebSocketStageName"]["Default"] == "v1"


def test_default_function_may_post_to_connections(transformed: dict[str, Any]) -> None:
    role = transformed["Resources"]["DefaultFunctionRole"]["Properties"]
    actions = [
        statement["Action"]
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert ["execute-api:ManageConnections"] in actions


def test_table(transformed: dict[str, Any]) -> None:
    (table,) = _of_type(transformed, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "LocalSecondaryIndexes" not in props


def _serious(matches: list[Any]) -> list[str]:
    return [str(m) for m in matches if m.rule.id[0] in "EW"]


def test_cfn_lint_finds_no_errors_or_warnings() -> None:
    assert _serious(lint_file(Path(TEMPLATE), config=ManualArgs(regions=["us-east-1"]))) == []


@pytest.mark.parametrize(
    ("old", "new", "rule"),
    [
        ("FunctionName: !Ref ConnectFunction", "FunctionName: !Ref NoSuchFunction", "E1020"),
        ("MemorySize: 512", "MemorySize: 99999", "E3034"),
        (
            "      BillingMode: PAY_PER_REQUEST",
            "      BillingMode: PAY_PER_REQUEST\n      Bogus: 1",
            "E3002",
        ),
    ],
)
def test_cfn_lint_does_catch_a_broken_template(
    tmp_path: Path, old: str, new: str, rule: str
) -> None:
    """The same call reports problems when there are some, so the test above can fail."""
    text = TEMPLATE.read_text()
    assert old in text
    broken = tmp_path / "template.yaml"
    broken.write_text(text.replace(old, new, 1))
    matches = lint_file(broken, config=ManualArgs(regions=["us-east-1"]))
    assert rule in {m.rule.id for m in matches}
