"""The environment the media tier's IaC gives a node, read from the IaC files themselves.

- EC2 (``iac/media/media-tier.yaml``): the launch template's user data, its ``!Sub`` placeholders
  resolved with given parameter values; its own metadata lines (``md instance-id`` …) and the
  heredoc that writes the node's env file are run by bash, against a metadata endpoint the
  caller names; the file is read as ``docker run --env-file`` reads it.
- Kubernetes (``iac/k8s``): the DaemonSet's node container, ``envFrom`` then ``env`` in order,
  as the kubelet builds it (``$(VAR)`` references, downward-API fields given by the caller,
  ConfigMap keys), with the files its volumes mount.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cfnlint.decode import decode_str

from tests.conftest import REPO_ROOT

STACK = REPO_ROOT / "iac" / "media" / "media-tier.yaml"
DOCKERFILE = REPO_ROOT / "iac" / "media" / "Dockerfile"
K8S = REPO_ROOT / "iac" / "k8s"
#: Where the user data asks the instance metadata service (replaced by a stub's URL in tests).
IMDS = "http://169.254.169.254"
ENV_FILE = "/etc/parley/media-node.env"

#: Test values of the stack's parameters without defaults, and of the pseudo parameters.
SAMPLE_PARAMETERS = {
    "AWS::Region": "us-east-1",
    "AWS::StackName": "parley-media",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "TableName": "parley-Table-1ABC",
    "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/parley-media-node:0.1.0",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0",
    "MediaDomain": "media.example.com",
    "HostedZoneId": "Z0123456789",
    "AcmeEmail": "ops@example.com",
    "NodeLogGroup": "/parley/parley-media/media-nodes",
}


@dataclass
class NodeLaunch:
    """What a deployment starts a node with: its environment and the files mounted into it."""

    env: dict[str, str]
    #: container path -> {file name: content} (a directory) or file content (a single file)
    mounts: dict[str, dict[str, str] | str] = field(default_factory=dict)
    #: Kubernetes: the readiness and liveness probes' httpGet; EC2: none (the image's check).
    probes: list[dict[str, Any]] = field(default_factory=list)


def stack() -> dict[str, Any]:
    """The media tier's template as plain data (``!Ref`` → ``{"Ref": …}``)."""
    decoded, problems = decode_str(STACK.read_text())
    assert not problems, problems
    plain: dict[str, Any] = json.loads(json.dumps(decoded))
    return plain


def parameter_values(**overrides: str) -> dict[str, str]:
    """Every parameter's default, then the samples, then ``overrides``: as strings."""
    values = {
        name: str(spec["Default"])
        for name, spec in stack()["Parameters"].items()
        if "Default" in spec
    }
    values.update(SAMPLE_PARAMETERS)
    values.update(overrides)
    return values


def resolve(value: Any, values: dict[str, str]) -> Any:
    """A ``Ref`` to a parameter, or a literal, as the deployed value."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return values[value["Ref"]]
    return value


def substitute(text: str, values: dict[str, str]) -> str:
    """``Fn::Sub`` of ``text``: ``${Name}`` from ``values``, ``${!Literal}`` → ``${Literal}``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"the user data uses ${{{name}}}: give it a test value"
        return values[name]

    return re.sub(r"\$\{(?!!)([A-Za-z0-9:.]+)\}", one, text).replace("${!", "${")


def user_data(values: dict[str, str]) -> str:
    data = stack()["Resources"]["NodeLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    return substitute(data["UserData"]["Fn::Base64"]["Fn::Sub"], values)


def _block(lines: list[str], first: str, last: str) -> list[str]:
    """The lines from the one starting with ``first`` to the next one starting with ``last``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(last))
    return lines[start : end + 1]


def env_file_block(script: str) -> list[str]:
    """The heredoc that writes the node's env file, delimiters included."""
    return _block(script.splitlines(), f"cat > {ENV_FILE} <<ENV", "ENV")


def node_docker_run(script: str) -> list[str]:
    """The ``docker run`` of the node container, as words."""
    joined = script.replace("\\\n", " ")
    (line,) = [x for x in joined.splitlines() if x.startswith("docker run -d --name media-node ")]
    return shlex.split(line)


def read_env_file(text: str) -> dict[str, str]:
    """``docker run --env-file``'s reading: ``NAME=VALUE`` lines taken literally, # comments."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = raw.lstrip().partition("=")
        assert sep, f"{raw!r}: a name alone would pass the host's own value"
        env[name] = value
    return env


def ec2_launch(values: dict[str, str], imds_url: str, workdir: Path) -> NodeLaunch:
    """Run the user data's metadata lines and env-file heredoc; the node's launch."""
    script = user_data(values)
    lines = script.splitlines()
    metadata = _block(lines, "imds_token() {", "NODE_NAME=")
    env_path = workdir / "media-node.env"
    writes = [line.replace(ENV_FILE, str(env_path)) for line in env_file_block(script)]
    snippet = "\n".join(["set -euo pipefail", *metadata, *writes, ""])
    snippet = snippet.replace(IMDS, imds_url)
    result = subprocess.run(
        ["bash", "-c", snippet], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    run = node_docker_run(script)
    assert "-e" not in run and "--env" not in run, "the env file must be the whole environment"
    assert run[run.index("--env-file") + 1] == ENV_FILE
    assert run[-1] == "$IMAGE", "no arguments after the image: the environment configures"
    mounts: dict[str, dict[str, str] | str] = {}
    for i, word in enumerate(run):
        if word == "-v":
            host, container, *_ = run[i + 1].split(":")
            mounts[container] = host
    return NodeLaunch(env=read_env_file(env_path.read_text()), mounts=mounts)


# ---------------------------------------------------------------- Kubernetes


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """Every manifest by (kind, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def node_container() -> dict[str, Any]:
    spec = manifests()[("DaemonSet", "media-node")]["spec"]["template"]["spec"]
    container: dict[str, Any] = next(c for c in spec["containers"] if c["name"] == "media-node")
    return container


def _expand(value: str, env: dict[str, str]) -> str:
    """The kubelet's ``$(VAR)``: a defined variable's value; anything else left as written."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), value)


def k8s_launch(fields: dict[str, str]) -> NodeLaunch:
    """The node container's environment, mounts and probes; ``fields``: downward-API values."""
    found = manifests()
    pod = found[("DaemonSet", "media-node")]["spec"]["template"]["spec"]
    container = node_container()
    assert "args" not in container and "command" not in container
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(found[("ConfigMap", source["configMapRef"]["name"])]["data"])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = _expand(item["value"], env)
            continue
        ref = item["valueFrom"]
        if "fieldRef" in ref:
            env[item["name"]] = fields[ref["fieldRef"]["fieldPath"]]
        elif "configMapKeyRef" in ref:
            key = ref["configMapKeyRef"]
            env[item["name"]] = found[("ConfigMap", key["name"])]["data"][key["key"]]
        else:
            raise AssertionError(f"{item['name']}: unhandled source {ref}")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts: dict[str, dict[str, str] | str] = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "secret" in volume:
            secret = found[("Secret", volume["secret"]["secretName"])]
            mounts[mount["mountPath"]] = dict(secret["stringData"])
        elif "configMap" in volume:
            mounts[mount["mountPath"]] = dict(
                found[("ConfigMap", volume["configMap"]["name"])]["data"]
            )
    probes = [container[p]["httpGet"] for p in ("readinessProbe", "livenessProbe")]
    return NodeLaunch(env=env, mounts=mounts, probes=probes)


def parley_names(env: dict[str, str]) -> set[str]:
    return {name for name in env if name.startswith("PARLEY_")}


def ec2_env_names() -> set[str]:
    """The names the user data's env file sets (without running anything)."""
    block = env_file_block(user_data(parameter_values()))[1:-1]
    return {line.partition("=")[0] for line in block if line and not line.startswith("#")}
