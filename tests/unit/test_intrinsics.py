"""CloudFormation intrinsics, resolved to local names."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.intrinsics import ACCOUNT_ID, Resolver

DOC: dict[str, Any] = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "v1"},
        "Level": {"Type": "String", "Default": "INFO"},
        "NoDefault": {"Type": "String"},
    },
    "Mappings": {"Sizes": {"eu-west-1": {"Memory": 512}}},
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table"},
        "Fn": {"Type": "AWS::Serverless::Function"},
        "Api": {"Type": "AWS::ApiGatewayV2::Api"},
        # Resources the template names itself (CloudFormation then uses that name).
        "Named": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {"TableName": {"Fn::Sub": "${Stage}_connections"}},
        },
        "NamedFn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"FunctionName": "chat-send"},
        },
        "NamedBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "My-Bucket"}},
    },
}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(DOC, stack_name="stk", region="eu-west-1", parameters={"Level": "DEBUG"})


TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/stk-Table"
FN_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:stk-Fn"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        (7, 7),
        (None, None),
        ({"Ref": "Stage"}, "v1"),
        ({"Ref": "Level"}, "DEBUG"),  # an explicit parameter beats the default
        ({"Ref": "NoDefault"}, None),
        ({"Ref": "Table"}, "stk-Table"),
        ({"Ref": "AWS::StackName"}, "stk"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, ACCOUNT_ID),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "AWS::NoValue"}, None),
        ({"Fn::GetAtt": ["Table", "Arn"]}, TABLE_ARN),
        ({"Fn::GetAtt": "Table.Arn"}, TABLE_ARN),
        ({"Fn::GetAtt": ["Table", "StreamArn"]}, f"{TABLE_ARN}/stream/local"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, FN_ARN),
        ({"Fn::GetAtt": ["Api", "ApiEndpoint"]}, "stk-Api.ApiEndpoint"),
        ({"Fn::Sub": "${AWS::StackName}-${Stage}"}, "stk-v1"),
        ({"Fn::Sub": "${Table.Arn}/index/*"}, f"{TABLE_ARN}/index/*"),
        ({"Fn::Sub": "no variables"}, "no variables"),
        ({"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Ref": "Table"}}]}, "stk-Table-v1"),
        ({"Fn::Sub": ["${Stage}", {"Stage": "shadowed"}]}, "shadowed"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, "b"]]}, "a-v1-b"),
        ({"Fn::Join": ["", []]}, ""),
        ({"Fn::Select": [1, ["x", {"Ref": "Stage"}]]}, "v1"),
        ({"Fn::Select": ["0", ["x", "y"]]}, "x"),
        ({"Fn::Select": [{"Fn::Select": [0, ["1"]]}, ["x", "y"]]}, "y"),
        ({"Fn::Split": [",", "a,b,,c"]}, ["a", "b", "", "c"]),
        ({"Fn::Split": ["-", {"Fn::Sub": "${AWS::StackName}-${Stage}"}]}, ["stk", "v1"]),
        ({"Fn::Select": [1, {"Fn::Split": ["/", "integrations/abc"]}]}, "abc"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Memory"]}, 512),
        # What API Gateway's integrations are written with.
        (
            {"Fn::Join": ["/", ["integrations", {"Ref": "Api"}]]},
            "integrations/stk-Api",
        ),
        (
            {
                "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                "functions/${Fn.Arn}/invocations"
            },
            f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN_ARN}/invocations",
        ),
        (
            {"Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"},
            f"arn:aws:execute-api:eu-west-1:{ACCOUNT_ID}:stk-Api/*",
        ),
        ({"Fn::Sub": "${AWS::Partition}.${AWS::URLSuffix}"}, "aws.amazonaws.com"),
        # Resources named by their template.
        ({"Ref": "Named"}, "v1_connections"),
        (
            {"Fn::GetAtt": ["Named", "Arn"]},
            f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/v1_connections",
        ),
        (
            {"Fn::Sub": "${NamedFn.Arn}"},
            f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:chat-send",
        ),
        ({"Ref": "NamedBucket"}, "My-Bucket"),
        # Nested structures are resolved all the way down.
        (
            {"Variables": {"T": {"Ref": "Table"}, "L": [{"Ref": "Stage"}, 1]}},
            {"Variables": {"T": "stk-Table", "L": ["v1", 1]}},
        ),
        ([{"Ref": "Stage"}, "x"], ["v1", "x"]),
        # A one-key mapping that is not an intrinsic is plain data.
        ({"Name": {"Ref": "Stage"}}, {"Name": "v1"}),
    ],
)
def test_resolve(resolver: Resolver, value: Any, expected: Any) -> None:
    assert resolver.resolve(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Nope"}, "Ref to unknown name 'Nope'"),
        ({"Fn::GetAtt": ["Nope", "Arn"]}, "GetAtt of unknown resource 'Nope'"),
        ({"Fn::Sub": "${Nope}"}, "Ref to unknown name 'Nope'"),
        ({"Fn::FindInMap": ["Sizes", "us-east-1", "Memory"]}, "FindInMap of unknown entry"),
    ],
)
def test_unknown_names_are_key_errors(resolver: Resolver, value: Any, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        resolver.resolve(value)


def test_resolve_does_not_change_its_input(resolver: Resolver) -> None:
    value = {"A": [{"Ref": "Stage"}]}
    resolver.resolve(value)
    assert value == {"A": [{"Ref": "Stage"}]}


def test_sub_escape(resolver: Resolver) -> None:
    assert resolver.resolve({"Fn::Sub": "${!Literal}-${Stage}"}) == "${Literal}-v1"


def test_physical_names_and_arns(resolver: Resolver) -> None:
    assert resolver.physical_name("Table") == "stk-Table"
    assert resolver.arn("Table") == TABLE_ARN
    assert resolver.arn("Fn") == FN_ARN


@pytest.mark.parametrize(
    ("value", "logical_id"),
    [
        ({"Ref": "Table"}, "Table"),
        ({"Ref": "Stage"}, None),
        ({"Ref": "Nope"}, None),
        ({"Fn::GetAtt": ["Table", "StreamArn"]}, "Table"),
        ({"Fn::GetAtt": "Fn.Arn"}, "Fn"),
        ({"Fn::GetAtt": ["Nope", "Arn"]}, None),
        ({"Fn::Sub": "integrations/${Api}"}, "Api"),
        ({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:/functions/${Fn.Arn}/inv"}, "Fn"),
        ({"Fn::Sub": ["${X}/${Table}", {"X": "y"}]}, "Table"),
        ({"Fn::Sub": "${Stage}"}, None),
        ("Table", None),
        (None, None),
        ({"Ref": "Table", "Other": 1}, None),
    ],
)
def test_referenced_resource(resolver: Resolver, value: Any, logical_id: str | None) -> None:
    assert resolver.referenced_resource(value) == logical_id


CONDITIONED: dict[str, Any] = {
    "Parameters": {
        "Url": {"Type": "String", "Default": ""},
        "Domain": {"Type": "String", "Default": "example.com"},
    },
    "Conditions": {
        "HasUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Url"}, ""]}]},
        "HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Domain"}, ""]}]},
        "Both": {"Fn::And": [{"Condition": "HasUrl"}, {"Condition": "HasDomain"}]},
        "Either": {"Fn::Or": [{"Condition": "HasUrl"}, {"Condition": "HasDomain"}]},
    },
    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
}
PICK = {"Fn::If": ["HasUrl", {"Fn::Sub": "${Url}/api/v1"}, {"Fn::GetAtt": ["Nope", "Arn"]}]}


@pytest.mark.parametrize(
    ("parameters", "conditions"),
    [
        ({}, {"HasUrl": False, "HasDomain": True, "Both": False, "Either": True}),
        ({"Url": "http://h:1"}, {"HasUrl": True, "HasDomain": True, "Both": True, "Either": True}),
        ({"Domain": ""}, {"HasUrl": False, "HasDomain": False, "Both": False, "Either": False}),
    ],
)
def test_conditions_follow_the_parameters(
    parameters: dict[str, str], conditions: dict[str, bool]
) -> None:
    resolver = Resolver(CONDITIONED, stack_name="s", region="r", parameters=parameters)
    assert {name: resolver.condition(name) for name in conditions} == conditions


def test_if_resolves_only_the_branch_its_condition_picks() -> None:
    chosen = Resolver(CONDITIONED, stack_name="s", region="r", parameters={"Url": "http://h:1"})
    assert chosen.resolve({"Env": PICK}) == {"Env": "http://h:1/api/v1"}
    other = Resolver(CONDITIONED, stack_name="s", region="r", parameters={})
    with pytest.raises(KeyError, match="Nope"):  # the other branch is the one resolved
        other.resolve(PICK)
    with pytest.raises(KeyError, match="unknown condition"):
        other.resolve({"Fn::If": ["Missing", "a", "b"]})
