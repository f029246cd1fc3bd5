"""The emulator uses a deployed stack's resources under the names CloudFormation gave them."""

from __future__ import annotations

from emulator.intrinsics import ACCOUNT_ID, Resolver
from emulator.template import load_template
from tests.conftest import REPO_ROOT

DEPLOYED = {"Table": "cfn-Table-1A2B3C", "AttachmentsBucket": "cfn-attachmentsbucket-x9"}


def test_deployed_resources_resolve_to_cloudformations_names() -> None:
    template = load_template(REPO_ROOT / "template.yaml", stack_name="cfn", deployed=DEPLOYED)
    assert template.tables["Table"].name == "cfn-Table-1A2B3C"
    env = template.functions["HealthFunction"].environment
    assert env["PARLEY_TABLE_NAME"] == "cfn-Table-1A2B3C"
    assert env["PARLEY_ATTACHMENTS_BUCKET"] == "cfn-attachmentsbucket-x9"


def test_without_a_deployed_stack_names_are_local() -> None:
    template = load_template(REPO_ROOT / "template.yaml", stack_name="cfn")
    assert template.tables["Table"].name == "cfn-Table"
    env = template.functions["HealthFunction"].environment
    # S3 bucket names are lower case (CloudFormation's own names for buckets are too).
    assert env["PARLEY_ATTACHMENTS_BUCKET"] == "cfn-attachmentsbucket"
    assert template.buckets["AttachmentsBucket"].name == "cfn-attachmentsbucket"
    assert "LogShippingBackupBucket" not in template.buckets  # conditional: AWS only


def test_arns_and_subs_use_the_deployed_name_and_others_stay_local() -> None:
    doc = {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table"},
            "Other": {"Type": "AWS::DynamoDB::Table"},
        }
    }
    resolver = Resolver(
        doc, stack_name="stk", region="eu-west-1", parameters={}, deployed={"Table": "real-t"}
    )
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}) == (
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/real-t"
    )
    assert resolver.resolve({"Fn::Sub": "${Table}/${Other}"}) == "real-t/stk-Other"
    assert resolver.referenced_resource({"Ref": "Table"}) == "Table"
