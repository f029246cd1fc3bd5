"""The LocalStack compose file, the CI workflow and the dependency-scan verdicts."""

from __future__ import annotations

import tomllib
from typing import Any

import yaml

from tests.conftest import REPO_ROOT
from tools.audit_report import npm_outcome, pip_outcome

COMPOSE = REPO_ROOT / "iac" / "localstack" / "docker-compose.yml"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return compose


def test_localstack_provides_the_services_behind_the_gateways_and_needs_a_token() -> None:
    localstack = _compose()["services"]["localstack"]
    assert localstack["ports"] == ["127.0.0.1:4566:4566"]
    env = localstack["environment"]
    assert env["LOCALSTACK_AUTH_TOKEN"].startswith("${LOCALSTACK_AUTH_TOKEN:?")
    services = set(env["SERVICES"].split(","))
    assert {"dynamodb", "dynamodbstreams", "s3", "sqs", "cloudformation"} <= services
    assert not any(s.startswith("apigateway") for s in services)  # the emulator serves those


def test_the_compose_media_node_is_built_from_the_repository_and_uses_localstack() -> None:
    node = _compose()["services"]["media-node"]
    context = (COMPOSE.parent / node["build"]["context"]).resolve()
    assert context == REPO_ROOT
    assert (context / node["build"]["dockerfile"]).is_file()
    env = node["environment"]
    assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    low, high = env["PARLEY_MEDIA_RTP_PORTS"].split("-")
    assert f"{low}-{high}:{low}-{high}/udp" in node["ports"]
    assert node["depends_on"]["localstack"]["condition"] == "service_healthy"
    assert env["PARLEY_MEDIA_VOICE_JWKS_FILE"] == "/run/secrets/voice-jwks"
    assert node["secrets"] == ["voice-jwks"]
    assert _compose()["secrets"]["voice-jwks"]["file"].endswith("/.parley/keys/voice-jwks.json")


def _workflow() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


def _runs(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(step["run"]).split()) for step in job["steps"] if "run" in step]


def test_ci_runs_make_test_and_deploys_tags_with_oidc() -> None:
    workflow = _workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    assert "pull_request" in triggers
    assert _runs(workflow["jobs"]["test"]) == ["make test"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "test"
    assert deploy["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert deploy["permissions"]["id-token"] == "write"
    (credentials,) = [
        s for s in deploy["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert "aws-access-key-id" not in credentials["with"]
    runs = _runs(deploy)
    build = runs.index("sam build")
    assert runs[build + 1].startswith("sam deploy")
    # One deploy: no URL of the stack is passed in, and the guide's smoke check runs after it.
    assert "ApiBaseUrl" not in runs[build + 1]
    assert "tools/smoke_check.py" in runs[build + 2]
    # No Docker and no Python 3.12: uv and the SAM CLI build the artifacts.
    assert not [s for s in deploy["steps"] if "setup-python" in str(s.get("uses", ""))]


def test_samconfig_deploys_with_iam_capability_only() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True


# ---------------------------------------------------------------- scan verdicts


def test_a_vulnerable_dependency_fails_the_scan() -> None:
    report = {
        "dependencies": [
            {
                "name": "urllib3",
                "version": "1.26.0",
                "vulns": [{"id": "GHSA-x", "fix_versions": ["1.26.5"]}],
            },
            {"name": "six", "version": "1.17.0", "vulns": []},
        ]
    }
    code, lines = pip_outcome(report, 1, "")
    assert code == 1
    assert "pip-audit: urllib3 1.26.0: GHSA-x (fixed in 1.26.5)" in lines


def test_a_clean_audit_passes_and_says_how_much_it_audited() -> None:
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "vulns": []}]}
    assert pip_outcome(report, 0, "") == (
        0,
        ["pip-audit: 1 runtime dependencies audited, no known vulnerability"],
    )


def test_an_unreachable_vulnerability_service_degrades_loudly() -> None:
    skipped = {
        "dependencies": [
            {"name": n, "version": "1", "skip_reason": "Dependency not found on PyPI"}
            for n in ("six", "boto3")
        ]
    }
    code, lines = pip_outcome(skipped, 0, "")
    assert code == 0
    assert "NOTHING was audited" in lines[-1]
    code, lines = pip_outcome(None, 2, "ConnectionError: pypi.org\n")
    assert code == 0
    assert lines == [
        "pip-audit could not run (ConnectionError: pypi.org): the dependencies were NOT audited"
    ]


def test_npm_high_findings_fail_and_an_unreachable_endpoint_does_not() -> None:
    report = {
        "metadata": {"vulnerabilities": {"high": 1, "total": 2}},
        "vulnerabilities": {"vite": {"severity": "high"}, "nanoid": {"severity": "moderate"}},
    }
    code, lines = npm_outcome(report, 1, "")
    assert code == 1
    assert lines[0] == "npm audit: vite: high"
    error = {
        "message": "405 Method Not Allowed - POST .../advisories/bulk",
        "error": {"summary": ""},
    }
    code, lines = npm_outcome(error, 1, "npm error audit endpoint returned an error")
    assert code == 0
    assert "desktop/ui NOT audited" in lines[0]
    assert "405 Method Not Allowed" in lines[0]
