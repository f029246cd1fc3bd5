"""What template.yaml promises a deployer, checked for every resource it has now or gains later.

Every function (found by type, so functions added later are covered without editing this file)
runs under a least-privilege role, with its memory and timeout chosen; every table can be
restored, streams and expires items; every bucket is private and cleans up after itself; every
log group has a retention. The checks read the template as the SAM translator expands it, so
SAM policy templates and event-source policies are judged by what they really grant.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from tests.conftest import REPO_ROOT
from tests.unit.test_template_sam import NoManagedPolicies, _source, _with_s3_artifacts

SERVERLESS_FUNCTION = "AWS::Serverless::Function"

#: What the SAM translator attaches by itself: logging, X-Ray, and the pollers of event sources.
#: These are AWS-managed, fixed, and scoped to what their feature needs.
ALLOWED_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
}

#: Actions AWS only grants on "*" (they have no resource-level permissions).
ACTIONS_WITHOUT_RESOURCES = {
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}

NAMED_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
PSEUDO = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix", "AWS::StackId"}

#: API Gateway gives up on an integration after 29-30 s: a function behind it must stop sooner.
API_INTEGRATION_TIMEOUT_S = 29


def _transform(doc: dict[str, Any]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        output: dict[str, Any] = transform(_with_s3_artifacts(doc), {}, NoManagedPolicies())
    return output


SOURCE = _source()
FUNCTIONS = sorted(k for k, r in SOURCE["Resources"].items() if r["Type"] == SERVERLESS_FUNCTION)
TABLES = sorted(k for k, r in SOURCE["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table")
BUCKETS = sorted(k for k, r in SOURCE["Resources"].items() if r["Type"] == "AWS::S3::Bucket")


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return _transform(SOURCE)


# ---------------------------------------------------------------- least privilege


def _names_something(value: Any, template: dict[str, Any]) -> bool:
    """Whether a Resource value points at a named resource: a resource or parameter of the
    template, or a literal ARN without wildcards; never "*" or a service-wide pattern."""
    names = set(template.get("Resources", {})) | set(template.get("Parameters", {}))
    if isinstance(value, str):
        return "*" not in value
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return arg in names
        if key == "Fn::GetAtt":
            target = arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
            return target in names
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            named_vars = {k for k, v in variables.items() if _names_something(v, template)}
            used = {v.split(".", 1)[0] for v in SUB_VARIABLE.findall(text)} - PSEUDO
            return bool(used) and all(v in names or v in named_vars for v in used)
        if key == "Fn::Join":
            return any(_names_something(part, template) for part in arg[1])
        if key == "Fn::If":
            return all(
                _names_something(branch, template)
                for branch in arg[1:]
                if branch != {"Ref": "AWS::NoValue"}
            )
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_of(template: dict[str, Any], function_id: str) -> tuple[str, dict[str, Any]]:
    role = template["Resources"][function_id]["Properties"]["Role"]
    assert isinstance(role, dict) and "Fn::GetAtt" in role, (
        f"{function_id}: its role must be in the template (not an outside ARN) to be checked"
    )
    role_id = role["Fn::GetAtt"][0]
    resource = template["Resources"][role_id]
    assert resource["Type"] == "AWS::IAM::Role"
    return role_id, resource["Properties"]


def _policy_documents(template: dict[str, Any], role_id: str, role: dict[str, Any]) -> list[Any]:
    documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = resource["Properties"].get("Roles", [])
            if {"Ref": role_id} in roles:
                documents.append(resource["Properties"]["PolicyDocument"])
    return documents


def policy_problems(template: dict[str, Any], function_id: str) -> list[str]:
    """Everything about a function's role that grants more than named actions on named
    resources; empty when the role is least-privilege."""
    role_id, role = _role_of(template, function_id)
    problems = []
    for arn in role.get("ManagedPolicyArns", []):
        text = arn if isinstance(arn, str) else str(arn)
        name = text.rsplit("/", 1)[-1].strip("'\"}]")
        if name not in ALLOWED_MANAGED_POLICIES:
            problems.append(f"managed policy {text} is not one SAM attaches for a feature")
    for document in _policy_documents(template, role_id, role):
        for statement in _as_list(document.get("Statement", [])):
            if statement.get("Effect") == "Deny":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                problems.append(f"NotAction/NotResource grants everything else: {statement}")
                continue
            actions = [str(a) for a in _as_list(statement.get("Action", []))]
            problems += [f"action {a!r} is a wildcard" for a in actions if "*" in a]
            problems += [
                f"action {a!r} is not service:Action" for a in actions if not NAMED_ACTION.match(a)
            ]
            if set(actions) <= ACTIONS_WITHOUT_RESOURCES:
                continue
            for resource in _as_list(statement.get("Resource", [])):
                if not _names_something(resource, template):
                    problems.append(f"{actions} on {resource!r}: not a named resource")
    return sorted(set(problems))


def test_the_template_has_functions_to_check() -> None:
    assert "HealthFunction" in FUNCTIONS
    assert len(FUNCTIONS) >= 4


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_every_function_is_least_privilege(transformed: dict[str, Any], function_id: str) -> None:
    assert policy_problems(transformed, function_id) == []


def _with_statement(statement: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(SOURCE)
    props = doc["Resources"]["HealthFunction"]["Properties"]
    props.setdefault("Policies", []).append({"Statement": [statement]})
    return doc


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "wildcard"),
        ({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}, "wildcard"),
        (
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
            "not a named resource",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "dynamodb:Get*",
                "Resource": {"Fn::GetAtt": ["Table", "Arn"]},
            },
            "wildcard",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::*"},
            },
            "not a named resource",
        ),
        (
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            "NotAction/NotResource",
        ),
    ],
)
def test_a_broad_grant_is_reported(statement: dict[str, Any], expected: str) -> None:
    """The check above can fail: each of these grants is caught."""
    problems = policy_problems(_transform(_with_statement(statement)), "HealthFunction")
    assert any(expected in p for p in problems), problems


def test_a_full_access_managed_policy_is_reported() -> None:
    doc = copy.deepcopy(SOURCE)
    doc["Resources"]["HealthFunction"]["Properties"]["Policies"] = ["AmazonDynamoDBFullAccess"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")

        class Managed:
            def load(self) -> dict[str, str]:
                return {
                    "AmazonDynamoDBFullAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"
                }

        out = transform(_with_s3_artifacts(doc), {}, Managed())
    assert any("AmazonDynamoDBFullAccess" in p for p in policy_problems(out, "HealthFunction"))


def test_sam_policy_templates_are_judged_by_what_they_grant() -> None:
    doc = _with_statement({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "x"})
    doc["Resources"]["HealthFunction"]["Properties"]["Policies"] = [
        {"DynamoDBReadPolicy": {"TableName": {"Ref": "Table"}}}
    ]
    assert policy_problems(_transform(doc), "HealthFunction") == []


# ---------------------------------------------------------------- memory, timeouts, tracing


def _merged(function_id: str) -> dict[str, Any]:
    props = dict(SOURCE.get("Globals", {}).get("Function", {}))
    props.update(SOURCE["Resources"][function_id]["Properties"])
    return props


def _behind_an_api(function_id: str) -> bool:
    events = SOURCE["Resources"][function_id]["Properties"].get("Events", {})
    if any(e.get("Type") in ("HttpApi", "Api") for e in events.values()):
        return True
    return any(
        r["Type"] == "AWS::ApiGatewayV2::Integration"
        and function_id in str(r["Properties"].get("IntegrationUri"))
        for r in SOURCE["Resources"].values()
    )


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_every_function_has_memory_timeout_and_tracing(function_id: str) -> None:
    props = _merged(function_id)
    assert isinstance(props.get("MemorySize"), int), f"{function_id}: MemorySize not chosen"
    assert isinstance(props.get("Timeout"), int), f"{function_id}: Timeout not chosen"
    assert 128 <= props["MemorySize"] <= 3008
    assert 1 <= props["Timeout"] <= 900
    if _behind_an_api(function_id):
        assert props["Timeout"] <= API_INTEGRATION_TIMEOUT_S, (
            f"{function_id} answers an API: API Gateway stops waiting after "
            f"{API_INTEGRATION_TIMEOUT_S} s"
        )
    assert props.get("Tracing") == "Active"
    assert props.get("LoggingConfig") == {"LogGroup": {"Ref": "FunctionsLogGroup"}}
    handler_module = str(props["Handler"]).rsplit(".", 1)[0]
    assert (REPO_ROOT / f"{handler_module}.py").is_file(), f"{function_id}: no handler file"


def test_powertools_is_configured_through_the_environment() -> None:
    variables = SOURCE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == "parley"
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Parley"
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"


# ---------------------------------------------------------------- data


@pytest.mark.parametrize("table_id", TABLES)
def test_every_table_has_pitr_stream_ttl_and_encryption(table_id: str) -> None:
    props = SOURCE["Resources"][table_id]["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert props["TimeToLiveSpecification"]["Enabled"] is True
    assert props["TimeToLiveSpecification"]["AttributeName"]
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_there_is_a_table_and_the_attachments_bucket() -> None:
    assert "Table" in TABLES
    assert "AttachmentsBucket" in BUCKETS


#: The token issuer's bucket publishes its .well-known/* documents and nothing else
#: (tests/unit/test_template_issuer.py holds it to that).
PUBLIC_DOCUMENT_BUCKETS = {"IssuerBucket"}


@pytest.mark.parametrize("bucket_id", BUCKETS)
def test_every_bucket_is_private_encrypted_and_expires_something(bucket_id: str) -> None:
    props = SOURCE["Resources"][bucket_id]["Properties"]
    public_policy = bucket_id in PUBLIC_DOCUMENT_BUCKETS
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": not public_policy,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": not public_policy,
    }
    assert "AccessControl" not in props
    assert "WebsiteConfiguration" not in props
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    rules = props["LifecycleConfiguration"]["Rules"]
    assert any(
        r["Status"] == "Enabled"
        and ("ExpirationInDays" in r or "AbortIncompleteMultipartUpload" in r)
        for r in rules
    )


def test_abandoned_uploads_expire_and_browsers_may_upload() -> None:
    props = SOURCE["Resources"]["AttachmentsBucket"]["Properties"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    pending = rules["expire-abandoned-uploads"]
    assert pending == {
        "Id": "expire-abandoned-uploads",
        "Status": "Enabled",
        "Prefix": "pending/",
        "ExpirationInDays": 1,
    }
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert {"PUT", "POST", "GET"} <= set(cors["AllowedMethods"])
    assert cors["AllowedOrigins"] == {"Ref": "AllowedOrigins"}
    policy = SOURCE["Resources"]["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# ---------------------------------------------------------------- logs and APIs


def test_every_log_group_has_a_retention() -> None:
    groups = {k: r for k, r in SOURCE["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert {"FunctionsLogGroup", "HttpApiAccessLogs", "WebSocketAccessLogs"} <= set(groups)
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_both_apis_write_access_logs_and_are_throttled(transformed: dict[str, Any]) -> None:
    stages = {
        k: r["Properties"]
        for k, r in transformed["Resources"].items()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    }
    assert set(stages) == {"WebSocketStage", "HttpApiApiGatewayDefaultStage"}
    for stage in stages.values():
        assert "requestId" in stage["AccessLogSettings"]["Format"]
        assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
        assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert stages["WebSocketStage"]["DefaultRouteSettings"]["LoggingLevel"] == "ERROR"


def test_the_http_api_answers_cors_preflights(transformed: dict[str, Any]) -> None:
    cors = transformed["Resources"]["HttpApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"]
    assert cors["allowOrigins"] == ["*"]
    assert {"authorization", "content-type"} <= set(cors["allowHeaders"])
    assert "retry-after" in cors["exposeHeaders"]


def test_log_shipping_to_opensearch_is_optional_and_covers_every_log_group() -> None:
    resources = SOURCE["Resources"]
    filters = {k: r for k, r in resources.items() if r["Type"] == "AWS::Logs::SubscriptionFilter"}
    groups = {k for k, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert {f["Properties"]["LogGroupName"]["Ref"] for f in filters.values()} == groups
    shipping = [k for k, r in resources.items() if k.startswith("LogShipping")] + list(filters)
    assert all(resources[k].get("Condition") == "ShipLogsToOpenSearch" for k in shipping)
    assert SOURCE["Conditions"]["ShipLogsToOpenSearch"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OpenSearchDomainArn"}, ""]}]
    }
    assert SOURCE["Parameters"]["OpenSearchDomainArn"]["Default"] == ""


def test_outputs_name_both_urls_and_the_bucket() -> None:
    outputs = SOURCE["Outputs"]
    assert {"HttpApiUrl", "WebSocketUrl", "AttachmentsBucketName"} <= set(outputs)
    assert SOURCE["Parameters"]["DomainName"]["Default"] == ""
    assert "OidcProviders" in SOURCE["Parameters"]


def test_only_the_auth_function_may_read_the_oidc_client_secrets_and_only_if_named() -> None:
    """``OidcClientSecretsArn`` reaches the auth code, with a grant on exactly that secret."""
    assert SOURCE["Conditions"]["HasOidcClientSecrets"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "OidcClientSecretsArn"}, ""]}]
    }
    readers = []
    for function_id in FUNCTIONS:
        props = SOURCE["Resources"][function_id]["Properties"]
        if "secretsmanager:GetSecretValue" in repr(props.get("Policies")):
            readers.append(function_id)
    assert readers == ["AuthFunction"]
    auth = SOURCE["Resources"]["AuthFunction"]["Properties"]
    variables = auth["Environment"]["Variables"]
    assert variables["PARLEY_OIDC_CLIENT_SECRETS_ARN"] == {"Ref": "OidcClientSecretsArn"}
    (grant,) = [
        s["Fn::If"]
        for policy in auth["Policies"]
        for s in policy.get("Statement", [])
        if isinstance(s, dict) and "Fn::If" in s
    ]
    assert grant[0] == "HasOidcClientSecrets"
    assert grant[1] == {
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": {"Ref": "OidcClientSecretsArn"},
    }
    assert grant[2] == {"Ref": "AWS::NoValue"}
