"""emulator/template.py: what the emulator reads from a SAM template, and what it refuses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.template import (
    FunctionSpec,
    HttpRoute,
    StreamMapping,
    TemplateError,
    load_template,
)
from tests.conftest import REPO_ROOT

# ---------------------------------------------------------------- a small valid template


def _function(handler: str, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {"Handler": handler, **props}}


def _ws_route(resources: dict[str, Any], name: str, key: str, function_id: str) -> None:
    resources[f"{name}Integration"] = {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {
            "ApiId": {"Ref": "Ws"},
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {
                "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                f"2015-03-31/functions/${{{function_id}.Arn}}/invocations"
            },
        },
    }
    resources[f"{name}Route"] = {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": {"Ref": "Ws"},
            "RouteKey": key,
            "Target": {"Fn::Sub": f"integrations/${{{name}Integration}}"},
        },
    }


def base_doc() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            },
        },
        "HttpApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Auth": {
                    "Authorizers": {
                        "Jwt": {
                            "JwtConfiguration": {
                                "issuer": "https://issuer.example",
                                "audience": ["parley"],
                            },
                            "IdentitySource": "$request.header.Authorization",
                        }
                    }
                }
            },
        },
        "Api": _function(
            "functions/api/app.lambda_handler",
            Timeout=7,
            Environment={"Variables": {"FEATURE": "on", "TABLE": {"Ref": "Table"}}},
            Events={
                "Get": {
                    "Type": "HttpApi",
                    "Properties": {"Path": "/api/v1/things", "Method": "get"},
                },
                "Any": {
                    "Type": "HttpApi",
                    "Properties": {
                        "Path": "/api/v1/things/{id}",
                        "Method": "x-amazon-apigateway-any-method",
                        "Auth": {"Authorizer": "Jwt"},
                    },
                },
                "Open": {
                    "Type": "HttpApi",
                    "Properties": {"Path": "/api/v1/open", "Auth": {"Authorizer": "NONE"}},
                },
            },
        ),
        "Fanout": _function(
            "functions/fanout/app.handler",
            CodeUri="functions/fanout",
            Events={
                "Stream": {
                    "Type": "DynamoDB",
                    "Properties": {
                        "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
                        "BatchSize": 25,
                        "StartingPosition": "TRIM_HORIZON",
                        "MaximumRetryAttempts": 3,
                        "BisectBatchOnFunctionError": True,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "MaximumBatchingWindowInSeconds": 1,
                    },
                }
            },
        ),
        "Connect": _function("ws/connect.handler"),
        "Disconnect": _function("ws/disconnect.handler"),
        "Default": _function("ws/default.handler"),
        "Ws": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {
                "Name": {"Fn::Sub": "${AWS::StackName}-ws"},
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.op",
            },
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Ws"}, "StageName": {"Ref": "StageName"}},
        },
    }
    _ws_route(resources, "Connect", "$connect", "Connect")
    _ws_route(resources, "Disconnect", "$disconnect", "Disconnect")
    _ws_route(resources, "Default", "$default", "Default")
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"StageName": {"Type": "String", "Default": "dev"}},
        "Globals": {
            "Function": {
                "Runtime": "python3.12",
                "MemorySize": 512,
                "Timeout": 10,
                "Environment": {"Variables": {"SERVICE": "parley", "FEATURE": "off"}},
            }
        },
        "Resources": resources,
    }


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# ---------------------------------------------------------------- what is read


def test_functions_get_globals_merged_key_by_key(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, base_doc()), stack_name="s")

    api = template.functions["Api"]
    assert api == FunctionSpec(
        logical_id="Api",
        handler="functions/api/app.lambda_handler",
        code_dir=tmp_path.resolve(),
        timeout_s=7.0,
        memory_mb=512,
        environment={"SERVICE": "parley", "FEATURE": "on", "TABLE": "s-Table"},
        runtime="python3.12",
    )
    assert api.module == "functions.api.app"
    assert api.attribute == "lambda_handler"
    assert template.functions["Fanout"].code_dir == (tmp_path / "functions/fanout").resolve()
    assert template.functions["Fanout"].environment == {"SERVICE": "parley", "FEATURE": "off"}
    assert set(template.functions) == {"Api", "Fanout", "Connect", "Disconnect", "Default"}


def test_lambda_defaults_apply_without_globals(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["Globals"]
    spec = load_template(write(tmp_path, doc)).functions["Connect"]
    assert (spec.timeout_s, spec.memory_mb, spec.environment) == (3.0, 128, {})


def test_http_routes(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, base_doc()))
    assert template.http_routes == [
        HttpRoute(method="GET", path="/api/v1/things", function_id="Api"),
        HttpRoute(method="ANY", path="/api/v1/things/{id}", function_id="Api", authorizer="Jwt"),
        HttpRoute(method="ANY", path="/api/v1/open", function_id="Api"),
    ]
    assert template.http_routes[0].route_key == "GET /api/v1/things"


def test_stream_mapping(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, base_doc()))
    assert template.stream_mappings == [
        StreamMapping(
            table_id="Table",
            function_id="Fanout",
            batch_size=25,
            starting_position="TRIM_HORIZON",
            maximum_retry_attempts=3,
            bisect_on_error=True,
            report_item_failures=True,
            maximum_batching_window_s=1.0,
        )
    ]


def test_stream_mapping_defaults_follow_lambda(tmp_path: Path) -> None:
    doc = base_doc()
    doc["Resources"]["Fanout"]["Properties"]["Events"]["Stream"]["Properties"] = {
        "Stream": {"Fn::GetAtt": "Table.StreamArn"}
    }
    (mapping,) = load_template(write(tmp_path, doc)).stream_mappings
    assert mapping == StreamMapping(table_id="Table", function_id="Fanout")
    assert (mapping.batch_size, mapping.starting_position, mapping.maximum_retry_attempts) == (
        100,
        "LATEST",
        -1,
    )


def test_tables_are_named_for_the_stack(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, base_doc()), stack_name="mystack")
    table = template.tables["Table"]
    assert table.name == "mystack-Table"
    assert table.properties["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert table.properties["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"}]


def test_websocket_api(tmp_path: Path) -> None:
    spec = load_template(write(tmp_path, base_doc())).websocket
    assert spec is not None
    assert spec.logical_id == "Ws"
    assert spec.route_selection_expression == "$request.body.op"
    assert spec.stage == "dev"
    assert spec.routes == {
        "$connect": "Connect",
        "$disconnect": "Disconnect",
        "$default": "Default",
    }
    assert spec.authorizer_function_id is None
    assert spec.identity_sources == ()


def test_parameters_override_defaults(tmp_path: Path) -> None:
    spec = load_template(write(tmp_path, base_doc()), parameters={"StageName": "v9"}).websocket
    assert spec is not None
    assert spec.stage == "v9"


def test_connect_authorizer(tmp_path: Path) -> None:
    doc = base_doc()
    resources = doc["Resources"]
    resources["Auth"] = _function("ws/auth.handler")
    resources["Authorizer"] = {
        "Type": "AWS::ApiGatewayV2::Authorizer",
        "Properties": {
            "ApiId": {"Ref": "Ws"},
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": {
                "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                "functions/${Auth.Arn}/invocations"
            },
            "IdentitySource": ["route.request.querystring.token"],
        },
    }
    route = resources["ConnectRoute"]["Properties"]
    route["AuthorizationType"] = "CUSTOM"
    route["AuthorizerId"] = {"Ref": "Authorizer"}

    spec = load_template(write(tmp_path, doc)).websocket
    assert spec is not None
    assert spec.authorizer_function_id == "Auth"
    assert spec.identity_sources == ("route.request.querystring.token",)


INVOKE = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"
DEFAULT_ARN = "arn:aws:lambda:us-east-1:000000000000:function:parley-local-Default"


@pytest.mark.parametrize(
    "target",
    [
        {"Fn::Sub": "integrations/${DefaultIntegration}"},
        {"Fn::Join": ["/", ["integrations", {"Ref": "DefaultIntegration"}]]},
        {"Fn::Join": ["", ["integrations/", {"Ref": "DefaultIntegration"}]]},
        {"Fn::Sub": ["integrations/${Id}", {"Id": {"Ref": "DefaultIntegration"}}]},
        "integrations/parley-local-DefaultIntegration",  # the integration's id, written out
    ],
)
def test_route_targets_in_every_form_lead_to_their_integration(tmp_path: Path, target: Any) -> None:
    doc = base_doc()
    doc["Resources"]["DefaultRoute"]["Properties"]["Target"] = target
    spec = load_template(write(tmp_path, doc)).websocket
    assert spec is not None
    assert spec.routes["$default"] == "Default"


@pytest.mark.parametrize(
    "uri",
    [
        {
            "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
            "${Default.Arn}/invocations"
        },
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                "functions/${Fn}/invocations",
                {"Fn": {"Fn::GetAtt": ["Default", "Arn"]}},
            ]
        },
        {
            "Fn::Join": [
                "",
                [
                    "arn:aws:apigateway:",
                    {"Ref": "AWS::Region"},
                    ":lambda:path/2015-03-31/functions/",
                    {"Fn::GetAtt": "Default.Arn"},
                    "/invocations",
                ],
            ]
        },
        INVOKE.format(DEFAULT_ARN),
        INVOKE.format(f"{DEFAULT_ARN}:live"),  # an alias of the function
        {"Fn::GetAtt": ["Default", "Arn"]},  # a plain function ARN
        {"Fn::Sub": "${Default.Arn}"},
        DEFAULT_ARN,
    ],
)
def test_integration_uris_in_every_form_lead_to_their_function(tmp_path: Path, uri: Any) -> None:
    doc = base_doc()
    doc["Resources"]["DefaultIntegration"]["Properties"]["IntegrationUri"] = uri
    spec = load_template(write(tmp_path, doc)).websocket
    assert spec is not None
    assert spec.routes["$default"] == "Default"


def test_a_function_named_by_the_template_is_found_by_its_arn(tmp_path: Path) -> None:
    doc = base_doc()
    doc["Parameters"]["FnName"] = {"Type": "String", "Default": "chat-default"}
    doc["Resources"]["Default"]["Properties"]["FunctionName"] = {"Ref": "FnName"}
    doc["Resources"]["DefaultIntegration"]["Properties"]["IntegrationUri"] = INVOKE.format(
        "arn:aws:lambda:us-east-1:123456789012:function:chat-default"
    )
    spec = load_template(write(tmp_path, doc)).websocket
    assert spec is not None
    assert spec.routes["$default"] == "Default"


def test_routes_are_the_templates_own(tmp_path: Path) -> None:
    """API Gateway needs none of $connect, $disconnect, $default: the emulator neither."""
    doc = base_doc()
    _without("DefaultRoute", "ConnectRoute")(doc)
    _ws_route(doc["Resources"], "Send", "sendmessage", "Default")
    spec = load_template(write(tmp_path, doc)).websocket
    assert spec is not None
    assert spec.routes == {"$disconnect": "Disconnect", "sendmessage": "Default"}


def test_a_table_named_by_a_parameter(tmp_path: Path) -> None:
    doc = base_doc()
    doc["Parameters"]["TableName"] = {"Type": "String", "Default": "chat_connections"}
    doc["Resources"]["Table"]["Properties"]["TableName"] = {"Ref": "TableName"}
    doc["Resources"]["Api"]["Properties"]["Environment"]["Variables"]["ARN"] = {
        "Fn::GetAtt": ["Table", "Arn"]
    }
    path = write(tmp_path, doc)

    template = load_template(path)
    assert template.tables["Table"].name == "chat_connections"
    env = template.functions["Api"].environment
    assert env["TABLE"] == "chat_connections"
    assert env["ARN"] == "arn:aws:dynamodb:us-east-1:000000000000:table/chat_connections"

    given = load_template(path, parameters={"TableName": "other"})
    assert given.tables["Table"].name == "other"
    assert given.functions["Api"].environment["TABLE"] == "other"


def test_an_authorizer_that_is_not_a_function_is_refused(tmp_path: Path) -> None:
    doc = base_doc()
    resources = doc["Resources"]
    resources["Authorizer"] = {
        "Type": "AWS::ApiGatewayV2::Authorizer",
        "Properties": {
            "ApiId": {"Ref": "Ws"},
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": INVOKE.format("arn:aws:lambda:us-east-1:1:function:elsewhere"),
        },
    }
    route = resources["ConnectRoute"]["Properties"]
    route["AuthorizationType"] = "CUSTOM"
    route["AuthorizerId"] = {"Ref": "Authorizer"}
    with pytest.raises(TemplateError, match=r"Ws: the \$connect authorizer is not a function"):
        load_template(write(tmp_path, doc))


def test_the_aws_sample_shaped_app() -> None:
    """tests/integration/sample_chat: written as AWS's WebSocket chat sample is."""
    path = REPO_ROOT / "tests" / "integration" / "sample_chat" / "template.yaml"
    template = load_template(path, region="eu-west-1")
    spec = template.websocket
    assert spec is not None
    assert spec.route_selection_expression == "$request.body.action"
    assert spec.stage == "Prod"
    assert spec.routes == {
        "$connect": "OnConnectFunction",
        "$disconnect": "OnDisconnectFunction",
        "sendmessage": "SendMessageFunction",
    }
    assert template.tables["ConnectionsTable"].name == "sample_chat_connections"
    send = template.functions["SendMessageFunction"]
    assert send.environment == {"TABLE_NAME": "sample_chat_connections"}
    assert send.code_dir == path.parent / "sendmessage"
    assert send.module == "app"


def test_no_websocket_api_is_fine(tmp_path: Path) -> None:
    doc = base_doc()
    resources = doc["Resources"]
    for name in [n for n, r in resources.items() if r["Type"].startswith("AWS::ApiGatewayV2")]:
        del resources[name]
    assert load_template(write(tmp_path, doc)).websocket is None


def test_cloudformation_short_tags_are_understood(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Parameters:\n"
        "  Level: {Type: String, Default: INFO}\n"
        "Resources:\n"
        "  Table:\n"
        "    Type: AWS::DynamoDB::Table\n"
        "    Properties: {KeySchema: []}\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.handler\n"
        "      Environment:\n"
        "        Variables:\n"
        "          LEVEL: !Ref Level\n"
        "          TABLE_ARN: !GetAtt Table.Arn\n"
        "          WHERE: !Sub '${AWS::Region}/${AWS::StackName}'\n"
    )
    env = load_template(path, stack_name="st", region="eu-west-1").functions["Fn"].environment
    assert env == {
        "LEVEL": "INFO",
        "TABLE_ARN": "arn:aws:dynamodb:eu-west-1:000000000000:table/st-Table",
        "WHERE": "eu-west-1/st",
    }


# ---------------------------------------------------------------- what is refused


def _without(*names: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        for name in names:
            del doc["Resources"][name]

    return edit


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _second_ws_api(doc: dict[str, Any]) -> None:
    doc["Resources"]["Ws2"] = copy.deepcopy(doc["Resources"]["Ws"])


def _no_resources(doc: dict[str, Any]) -> None:
    doc["Resources"] = {}


def _no_resources_key(doc: dict[str, Any]) -> None:
    del doc["Resources"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_no_resources, "declares no Resources"),
        (_no_resources_key, "declares no Resources"),
        (
            _set(("Resources", "Api", "Properties", "Handler"), "no_dot_here"),
            "Api: Handler must be 'path/module.function'",
        ),
        (_set(("Resources", "Api", "Properties", "Handler"), 42), "Api: Handler must be"),
        (_set(("Resources", "Connect", "Properties"), {}), "Connect: Handler must be"),
        (_without("Stage"), "Ws: the WebSocket API has no Stage"),
        (
            _set(("Resources", "Ws", "Properties", "RouteSelectionExpression"), "${request.op}"),
            "Ws: RouteSelectionExpression must be $request.body.<field>",
        ),
        (_second_ws_api, "one WebSocket API per template"),
        (
            _set(("Resources", "DefaultIntegration", "Properties", "IntegrationUri"), "arn:x"),
            "route target 'integrations/parley-local-DefaultIntegration' does not lead to a "
            "function",
        ),
        (
            _set(("Resources", "DefaultRoute", "Properties", "Target"), "integrations/nope"),
            "route target 'integrations/nope' does not lead to a function",
        ),
        (
            _set(("Resources", "DefaultRoute", "Properties", "Target"), {"Ref": "Nope"}),
            'route target \'{"Ref": "Nope"}\' does not lead to a function',
        ),
        (
            # An ARN of a function this template does not declare.
            _set(
                ("Resources", "DefaultIntegration", "Properties", "IntegrationUri"),
                "arn:aws:lambda:us-east-1:000000000000:function:elsewhere",
            ),
            "does not lead to a function",
        ),
        (
            _set(("Resources", "Ws", "Properties", "RouteSelectionExpression"), "$request.body."),
            "Ws: RouteSelectionExpression must be $request.body.<field>",
        ),
        (
            _set(
                ("Resources", "Fanout", "Properties", "Events", "Stream", "Properties", "Stream"),
                {"Fn::GetAtt": ["Api", "Arn"]},
            ),
            "Fanout.Stream: Stream is not a table's StreamArn",
        ),
    ],
)
def test_templates_the_emulator_cannot_serve(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = base_doc()
    edit(doc)
    with pytest.raises(TemplateError, match=message.replace("$", r"\$").replace("(", r"\(")):
        load_template(write(tmp_path, doc))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Undeclared"}, "template.yaml: Ref to unknown name 'Undeclared'"),
        ({"Fn::GetAtt": ["Nowhere", "Arn"]}, "template.yaml: GetAtt of unknown resource 'Nowhere'"),
        ({"Fn::Sub": "${Undeclared}-x"}, "template.yaml: Ref to unknown name 'Undeclared'"),
    ],
)
def test_an_undeclared_name_is_a_template_error(tmp_path: Path, value: Any, message: str) -> None:
    doc = base_doc()
    doc["Resources"]["Api"]["Properties"]["Environment"]["Variables"]["BAD"] = value
    with pytest.raises(TemplateError, match=message):
        load_template(write(tmp_path, doc))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"cannot read .*nope\.yaml"):
        load_template(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [unclosed\n", "template.yaml is not a valid template: "),
        ("- a\n- b\n", "template.yaml is not a valid template: not a mapping"),
        ("Resources:\n  T: {Type: X}\n  T: {Type: Y}\n", "is not a valid template: Duplicate"),
    ],
)
def test_unreadable_templates(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    with pytest.raises(TemplateError, match=message):
        load_template(path)


def test_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources: [unclosed\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- the project's template


@pytest.fixture(scope="module")
def project() -> Any:
    return load_template(REPO_ROOT / "template.yaml", stack_name="parley-local")


def test_project_functions(project: Any) -> None:
    handlers = {logical_id: spec.handler for logical_id, spec in project.functions.items()}
    # The foundation's functions (later areas add their own; the loop below checks them all).
    assert (
        handlers.items()
        >= {
            "HealthFunction": "functions/health/app.lambda_handler",
            "ConnectFunction": "websocket_routes/connect/app.lambda_handler",
            "DisconnectFunction": "websocket_routes/disconnect/app.lambda_handler",
            "DefaultFunction": "websocket_routes/default/app.lambda_handler",
        }.items()
    )
    for spec in project.functions.values():
        assert spec.code_dir == REPO_ROOT
        assert spec.runtime == "python3.12"
        assert spec.environment["PARLEY_TABLE_NAME"] == "parley-local-Table"
        assert spec.environment["PARLEY_STAGE"] == "v1"
        assert spec.environment["POWERTOOLS_SERVICE_NAME"] == "parley"
        assert spec.environment["POWERTOOLS_LOG_LEVEL"] == "INFO"
    health = project.functions["HealthFunction"]
    assert (health.memory_mb, health.timeout_s) == (256, 5.0)
    default = project.functions["DefaultFunction"]
    assert (default.memory_mb, default.timeout_s) == (512, 29.0)


def test_project_handlers_are_importable(project: Any) -> None:
    import importlib

    for spec in project.functions.values():
        module = importlib.import_module(spec.module)
        assert callable(getattr(module, spec.attribute))


def test_project_http_routes(project: Any) -> None:
    health = HttpRoute(method="GET", path="/api/v1/health", function_id="HealthFunction")
    assert health in project.http_routes  # public: no authorizer
    assert all(r.path.startswith("/api/v1/") for r in project.http_routes)


def test_project_websocket_api(project: Any) -> None:
    spec = project.websocket
    assert spec is not None
    assert spec.route_selection_expression == "$request.body.op"
    assert spec.stage == "v1"
    assert (
        spec.routes.items()
        >= {
            "$connect": "ConnectFunction",
            "$disconnect": "DisconnectFunction",
            "$default": "DefaultFunction",
        }.items()
    )


def test_project_table(project: Any) -> None:
    assert set(project.tables) == {"Table"}
    table = project.tables["Table"]
    assert table.name == "parley-local-Table"
    props = table.properties
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert [index["IndexName"] for index in props["GlobalSecondaryIndexes"]] == ["GSI1"]
    assert "LocalSecondaryIndexes" not in props
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # The fan-out reads the whole stream from its start, in order (no parallelism); a record it
    # cannot read is retried alone, a bounded number of times, then goes to its failure queue.
    (fanout,) = [m for m in project.stream_mappings if m.function_id == "FanoutFunction"]
    assert (fanout.table_id, fanout.starting_position) == ("Table", "TRIM_HORIZON")
    assert fanout.bisect_on_error and fanout.report_item_failures
    assert fanout.on_failure is not None
    assert fanout.on_failure == project.queues["FanoutFailuresQueue"]
    # Every stream consumer reads the template's one table.
    assert project.stream_mappings
    assert {m.table_id for m in project.stream_mappings} == {"Table"}
