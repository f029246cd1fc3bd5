"""emulator.store.deployed_names: what CloudFormation made, asked of CloudFormation."""

from __future__ import annotations

import json

import boto3
import pytest

from emulator.store import StoreError, deployed_names

REGION = "us-east-1"

TEMPLATE = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
            },
        },
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                }
            },
        },
    }
}


def test_a_deployed_stacks_data_resources_by_logical_id() -> None:
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName="deployed", TemplateBody=json.dumps(TEMPLATE))
    names = deployed_names(None, REGION, "deployed")
    assert set(names) == {"Table", "Queue"}  # the role is not a data resource
    tables = boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    assert names["Table"] in tables  # beside the template's own table, which every test has
    assert names["Table"].startswith("deployed-Table")
    queue_url = boto3.client("sqs", region_name=REGION).get_queue_url(
        QueueName=names["Queue"].rsplit("/", 1)[1]
    )["QueueUrl"]
    assert names["Queue"] == queue_url  # what Ref gives for a queue


def test_no_such_stack_is_no_names() -> None:
    assert deployed_names(None, REGION, "never-deployed") == {}


def test_an_unreachable_cloudformation_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot list the resources of stack x"):
        deployed_names("http://127.0.0.1:9", REGION, "x")
