"""The token issuer and its keys, read from the template as SAM transforms it (offline).

With the parameters a deployer leaves at their defaults, the JWT authorizer's issuer is a URL
the stack itself serves over HTTPS (its issuer bucket), the tokens' ``iss`` is the same
expression, the keys are made by a custom resource of the stack, and only the auth function
receives the OpenID providers' settings.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator.intrinsics import Resolver
from emulator.template import load_template
from tests.conftest import REPO_ROOT
from tests.unit.test_template_sam import _source

SOURCE = _source()


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    from tests.unit.test_template_policies import _transform

    return _transform(SOURCE)


def _on_aws(template: dict[str, Any]) -> Resolver:
    """The template's conditions as CloudFormation evaluates them for a deployer who answers
    every parameter with its default."""
    return Resolver(template, stack_name="parley", region="eu-west-1", parameters={})


def _chosen(resolver: Resolver, value: Any) -> Any:
    """``value`` with each ``Fn::If`` replaced by the branch its condition picks."""
    while isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        value = when_true if resolver.condition(name) else when_false
    return value


def _authorizer_issuer(template: dict[str, Any]) -> Any:
    body = template["Resources"]["HttpApi"]["Properties"]["Body"]
    scheme = body["components"]["securitySchemes"]["ParleyJwt"]
    return scheme["x-amazon-apigateway-authorizer"]["jwtConfiguration"]["issuer"]


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: r["Properties"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }


def _environment(props: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = (props.get("Environment") or {}).get("Variables") or {}
    return variables


def test_the_authorizer_issuer_is_the_stacks_own_bucket_over_https(
    transformed: dict[str, Any],
) -> None:
    resolver = _on_aws(transformed)
    issuer = _chosen(resolver, _authorizer_issuer(transformed))
    assert issuer == {"Fn::Sub": "https://${IssuerBucket.RegionalDomainName}"}
    assert transformed["Resources"]["IssuerBucket"]["Type"] == "AWS::S3::Bucket"
    # What it resolves to is an HTTPS URL on a public host, never a loopback address.
    url = urlsplit(resolver.resolve(issuer))
    assert url.scheme == "https"
    assert url.hostname not in (None, "localhost")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        ipaddress.ip_address(url.hostname or "")


def test_no_parameter_default_is_a_loopback_url() -> None:
    for name, spec in SOURCE["Parameters"].items():
        default = str(spec.get("Default", ""))
        assert "127.0.0.1" not in default and "localhost" not in default, name


def test_tokens_carry_the_issuer_the_authorizer_trusts(transformed: dict[str, Any]) -> None:
    issuer = _authorizer_issuer(transformed)
    functions = _functions(transformed)
    for function_id, props in functions.items():
        assert _environment(props).get("PARLEY_TOKEN_ISSUER") == issuer, function_id
    # The authorizer is made once the issuer's documents are published.
    assert transformed["Resources"]["HttpApi"]["DependsOn"] == "IssuerKeys"
    published = transformed["Resources"]["IssuerKeys"]["Properties"]["Issuer"]
    assert published == issuer
    assert SOURCE["Outputs"]["IssuerUrl"]["Value"] == {"Fn::GetAtt": ["IssuerKeys", "Issuer"]}


def test_parley_dev_resolves_the_same_expressions_to_its_own_url() -> None:
    url = "http://127.0.0.1:43117"
    template = load_template(REPO_ROOT / "template.yaml", parameters={"ApiBaseUrl": url})
    assert template.http_authorizers["ParleyJwt"].issuer == f"{url}/api/v1"
    for function_id, spec in template.functions.items():
        assert spec.environment["PARLEY_TOKEN_ISSUER"] == f"{url}/api/v1", function_id
    assert template.functions["AuthFunction"].environment["PARLEY_PUBLIC_URL"] == url


def test_the_keys_are_made_by_a_custom_resource_of_the_stack(transformed: dict[str, Any]) -> None:
    resource = transformed["Resources"]["IssuerKeys"]
    assert resource["Type"] == "AWS::CloudFormation::CustomResource"
    props = resource["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["KeysFunction", "Arn"]}
    assert props["SigningKeysParameter"] == {"Ref": "SigningKeysParameter"}
    assert props["VoiceKeysParameter"] == {"Ref": "VoiceKeysParameter"}
    assert props["Bucket"] == {"Ref": "IssuerBucket"}
    keys_function = _functions(transformed)["KeysFunction"]
    assert keys_function["Handler"] == "functions/keys/app.lambda_handler"
    # No SSM parameter resource: CloudFormation cannot make a SecureString.
    kinds = {r["Type"] for r in transformed["Resources"].values()}
    assert "AWS::SSM::Parameter" not in kinds


def test_only_the_issuer_documents_are_public(transformed: dict[str, Any]) -> None:
    policy = transformed["Resources"]["IssuerBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "IssuerBucket"}
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "PublicIssuerDocuments",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${IssuerBucket.Arn}/.well-known/*"},
        }
    ]
    block = transformed["Resources"]["IssuerBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block["BlockPublicAcls"] is True and block["IgnorePublicAcls"] is True


OIDC_VARIABLES = ("PARLEY_OIDC_PROVIDERS", "PARLEY_OIDC_CLIENT_SECRETS_ARN")


def test_only_the_auth_function_receives_the_openid_providers(
    transformed: dict[str, Any],
) -> None:
    receivers = {
        function_id
        for function_id, props in _functions(transformed).items()
        if any(name in _environment(props) for name in OIDC_VARIABLES)
    }
    assert receivers == {"AuthFunction"}
    assert "PARLEY_OIDC_PROVIDERS" not in str(SOURCE["Globals"])


def _statements(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role_id = _functions(template)[function_id]["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    return [
        statement
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if isinstance(statement, dict) and statement.get("Effect") == "Allow"
    ]


def _granted(template: dict[str, Any], action: str, parameter: str) -> set[str]:
    """The functions whose role allows ``action`` on the SSM parameter ``parameter``."""
    found = set()
    for function_id in _functions(template):
        for statement in _statements(template, function_id):
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            if action in actions and any(f"${{{parameter}}}" in str(r) for r in resources):
                found.add(function_id)
    return found


def test_each_function_gets_only_the_key_grants_it_needs(transformed: dict[str, Any]) -> None:
    assert _granted(transformed, "ssm:PutParameter", "SigningKeysParameter") == {"KeysFunction"}
    assert _granted(transformed, "ssm:PutParameter", "VoiceKeysParameter") == {"KeysFunction"}
    # Signing: the auth function; the gateway authorizer verifies with the public JWKS.
    assert _granted(transformed, "ssm:GetParameter", "SigningKeysParameter") == {
        "AuthFunction",
        "KeysFunction",
    }
    voice_readers = _granted(transformed, "ssm:GetParameter", "VoiceKeysParameter")
    assert "GatewayAuthorizerFunction" not in voice_readers
    assert "AuthFunction" not in voice_readers
    for function_id in voice_readers - {"KeysFunction"}:
        env = _environment(_functions(transformed)[function_id])
        assert env.get("PARLEY_VOICE_KEYS_PARAMETER") == {"Ref": "VoiceKeysParameter"}
    writers = {
        function_id
        for function_id in _functions(transformed)
        for statement in _statements(transformed, function_id)
        if "IssuerBucket" in str(statement["Resource"])
    }
    assert writers == {"KeysFunction"}
