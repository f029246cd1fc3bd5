"""A media node started with exactly the environment the EC2 user data and the manifests give it.

The node runs as its image runs it (``python -m media_nodes`` in a virtualenv holding only what
the Dockerfile installs), in its own process, with the environment read from the IaC files
(tests/media_iac.py). The harness adds only where AWS is: the embedded store
(``AWS_ENDPOINT_URL`` and credentials, which an instance gets from its role) and a loopback stub
of the instance metadata service (``AWS_EC2_METADATA_SERVICE_ENDPOINT``). It moves two things,
each checked first against the IaC: the signalling port (the IaC's 7000 is a `make dev` port)
to a free one, and the mounted files' container paths to files here. Every address is a
loopback one: the "private" and "public" addresses are 127.0.0.x.

The client that checks the node's SDP answer is aiortc as a user has it: this process never
installs the node's ICE hooks, and it is given no STUN server (a public API option) so that it
sends nothing off this machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aioice
import aiortc.rtcicetransport
import pytest
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from emulator.store import EmbeddedStore, dynamodb_client, ensure_tables
from emulator.store_credentials import StoreCredentials
from emulator.template import load_template
from media_nodes.aiortc_hooks import IcePolicy, install_ice_policy
from media_nodes.config import PortRange
from shared.table.keys import MEDIA_NODES_PK, media_node_sk
from shared.voice.voice_tokens import generate_voice_keys, mint_voice_token
from tests import media_iac
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

KEYS = generate_voice_keys(kid="iac")
REGION = "us-east-1"
INSTANCE_ID = "i-0abc1234def567890"


# ---------------------------------------------------------------- the image's environment


def _uv() -> str:
    """uv as the Makefile finds it."""
    found = shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")
    assert Path(found).is_file(), "uv is missing: `make install` puts it into .tools/"
    return found


def _image_groups() -> list[str]:
    """The uv group flags the Dockerfile installs with (its UV_GROUPS argument)."""
    match = re.search(r'^ARG UV_GROUPS="([^"]*)"', media_iac.DOCKERFILE.read_text(), re.M)
    assert match, "the Dockerfile names its groups in ARG UV_GROUPS"
    return match.group(1).split()


@pytest.fixture(scope="module")
def image_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv synced as the Dockerfile syncs /opt/parley; its python."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    result = subprocess.run(
        # Rebuilt from this tree: uv would otherwise reuse a wheel of the project it built before.
        [
            _uv(),
            "sync",
            "--frozen",
            *_image_groups(),
            "--no-editable",
            "--reinstall-package",
            "parley",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return venv / "bin" / "python"


def test_the_image_holds_the_runtime_and_media_groups_only(image_python: Path) -> None:
    probe = (
        "import importlib.util as u, json; print(json.dumps({m: bool(u.find_spec(m)) for m in "
        "('aiortc', 'aiohttp', 'pynamodb', 'media_nodes', 'PySide6', 'playwright', 'moto', "
        "'pytest')}))"
    )
    found = json.loads(
        subprocess.run(
            [str(image_python), "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    assert found == {
        "aiortc": True,
        "aiohttp": True,
        "pynamodb": True,
        "media_nodes": True,
        "PySide6": False,
        "playwright": False,
        "moto": False,
        "pytest": False,
    }


# ---------------------------------------------------------------- the stubs


@dataclass
class MetadataStub:
    """IMDSv2 on loopback: a token first, then the instance's metadata with that token."""

    metadata: dict[str, str]
    url: str = ""
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    token: str = "stub-token-AQAEA"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_put("/latest/api/token", self._token)
        app.router.add_get("/latest/meta-data/{path:.+}", self._get)
        return app

    async def _token(self, request: web.Request) -> web.Response:
        self.requests.append(("PUT", request.path, True))
        if not request.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "").isdigit():
            return web.Response(status=400)
        return web.Response(text=self.token)

    async def _get(self, request: web.Request) -> web.Response:
        authorised = request.headers.get("X-aws-ec2-metadata-token") == self.token
        self.requests.append(("GET", request.match_info["path"], authorised))
        if not authorised:
            return web.Response(status=401)
        value = self.metadata.get(request.match_info["path"])
        return web.Response(status=404) if value is None else web.Response(text=value)

    def asked(self, path: str) -> bool:
        return ("GET", path, True) in self.requests


@pytest.fixture
async def metadata_server() -> AsyncIterator[MetadataStub]:
    """The stub, answering on 127.0.0.1 at a free port; its metadata set by the test."""
    stub = MetadataStub(metadata={})
    runner = web.AppRunner(stub.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stub.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield stub
    finally:
        await runner.cleanup()


@pytest.fixture
async def store() -> AsyncIterator[tuple[str, str]]:
    """The embedded store with the Parley table: (endpoint, table name)."""
    server = EmbeddedStore("127.0.0.1", 0, StoreCredentials.from_env())
    await server.start()
    try:
        template = load_template(
            REPO_ROOT / "template.yaml", stack_name="parley-iac", region=REGION
        )
        spec = template.tables["Table"]
        await asyncio.to_thread(ensure_tables, server.endpoint_url, REGION, [spec])
        yield server.endpoint_url, spec.name
    finally:
        await server.stop()


@pytest.fixture
def unpatched_aiortc() -> Iterator[None]:
    """This process builds aioice's own ICE agent (an in-process node test may have left one)."""
    install_ice_policy(None)
    assert aiortc.rtcicetransport.Connection is aioice.Connection
    yield
    install_ice_policy(None)


# ---------------------------------------------------------------- the node


@dataclass
class NodeProcess:
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    port: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _place_mounts(launch: media_iac.NodeLaunch, workdir: Path) -> dict[str, str]:
    """The node's environment with each mounted container path moved to a local copy.

    The mounted voice key file holds this test's JWKS, as the user data (from the SSM
    parameter) or the Secret a deployer creates would.
    """
    env = dict(launch.env)
    for index, (container_path, content) in enumerate(launch.mounts.items()):
        local = workdir / f"mount-{index}"
        inside = [v for v in env.values() if v.startswith(container_path + "/")]
        if isinstance(content, dict) or inside:  # a directory
            local.mkdir()
            for name, text in (content if isinstance(content, dict) else {}).items():
                (local / name).write_text(text)
        else:
            local.write_text("")
        for name, value in env.items():
            if value == container_path or value.startswith(container_path + "/"):
                env[name] = str(local) + value[len(container_path) :]
    jwks_file = Path(env["PARLEY_MEDIA_VOICE_JWKS_FILE"])
    assert jwks_file.is_relative_to(workdir), "the voice JWKS file is not on a mounted volume"
    jwks_file.write_text(KEYS.jwks_json())
    return env


@pytest.fixture
def start_node(
    image_python: Path, tmp_path: Path, store: tuple[str, str], metadata_server: MetadataStub
) -> Iterator[Any]:
    """Start a node with a launch's environment (port and mounts moved, see above)."""
    started: list[NodeProcess] = []

    def start(launch: media_iac.NodeLaunch, iac_port: int) -> NodeProcess:
        assert launch.env["PARLEY_MEDIA_PORT"] == str(iac_port)
        env = _place_mounts(launch, tmp_path)
        port = _free_port(env["PARLEY_MEDIA_HOST"])
        env["PARLEY_MEDIA_PORT"] = str(port)
        harness = {
            "AWS_ENDPOINT_URL": store[0],
            **StoreCredentials.from_env().env(),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata_server.url,
        }
        assert not set(harness) & set(env)
        log = tmp_path / f"node-{len(started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(image_python), "-m", "media_nodes"],
                cwd=tmp_path,  # not the repository: the node runs from what the image installs
                env={**env, **harness},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        node = NodeProcess(process, log, {**env, **harness}, port)
        started.append(node)
        return node

    yield start
    for node in started:
        if node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()


def _get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


async def _wait_healthy(node: NodeProcess, url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert node.process.poll() is None, f"the node exited:\n{node.output()}"
        if await asyncio.to_thread(_get_status, url) == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never answered 200:\n{node.output()}")


async def _registry_entry(store: tuple[str, str], node_id: str) -> dict[str, Any]:
    client = dynamodb_client(store[0], REGION)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        item = await asyncio.to_thread(
            client.get_item,
            TableName=store[1],
            Key={"PK": {"S": MEDIA_NODES_PK}, "SK": {"S": media_node_sk(node_id)}},
        )
        if "Item" in item:
            return {k: next(iter(v.values())) for k, v in item["Item"].items()}
        await asyncio.sleep(0.1)
    raise AssertionError(f"{node_id} never registered")


@dataclass(frozen=True)
class IceCandidate:
    host: str
    port: int
    type: str


def _candidates(sdp: str) -> list[IceCandidate]:
    found = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            words = line.split()
            found.append(IceCandidate(words[4], int(words[5]), words[7]))
    return found


async def _join(
    node: NodeProcess, http_host: str, *, connect: bool
) -> tuple[list[IceCandidate], RTCPeerConnection]:
    """Offer as a user's aiortc would (no STUN server); the node's answer's candidates."""
    from aiortc.mediastreams import AudioStreamTrack

    token = mint_voice_token(
        KEYS.private_pem,
        kid=KEYS.kid,
        node_id=node.env["PARLEY_MEDIA_NODE_ID"],
        user_id="101",
        guild_id="102",
        channel_id="103",
    )
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(AudioStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    url = f"ws://{http_host}:{node.port}/rtc?token={token}"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        await ws.send_json({"op": "offer", "sdp": pc.localDescription.sdp})
        answer = await ws.receive_json(timeout=30)
        assert answer["op"] == "answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        if connect:
            deadline = time.monotonic() + 30
            while pc.connectionState != "connected":
                assert pc.connectionState not in ("failed", "closed"), pc.connectionState
                assert time.monotonic() < deadline, "the client never connected"
                await asyncio.sleep(0.05)
    return _candidates(answer["sdp"]), pc


def _security_group_udp_ports(values: dict[str, str]) -> PortRange:
    rules = media_iac.stack()["Resources"]["NodeSecurityGroup"]["Properties"][
        "SecurityGroupIngress"
    ]
    ranges = {
        (int(media_iac.resolve(r["FromPort"], values)), int(media_iac.resolve(r["ToPort"], values)))
        for r in rules
        if r["IpProtocol"] == "udp"
    }
    ((low, high),) = ranges
    return PortRange(low, high)


# ---------------------------------------------------------------- EC2


async def test_the_ec2_user_data_environment_starts_a_node_that_registers_and_announces_public_ip(
    start_node: Any,
    store: tuple[str, str],
    metadata_server: MetadataStub,
    unpatched_aiortc: None,
    tmp_path: Path,
) -> None:
    # A narrow range, so that a port the system picked would fall outside it.
    values = media_iac.parameter_values(
        TableName=store[1], RtpPortMin="40100", RtpPortMax="40109", VoiceRegion="eu-test"
    )
    # The VPC maps the public address onto the private one: different addresses.
    metadata_server.metadata.update(
        {"instance-id": INSTANCE_ID, "local-ipv4": "127.0.0.2", "public-ipv4": "127.0.0.3"}
    )
    # In a thread: the user data's curl asks the stub, which this event loop serves.
    launch = await asyncio.to_thread(media_iac.ec2_launch, values, metadata_server.url, tmp_path)
    script = media_iac.user_data(values)
    # Caddy and the monitoring rule reach the port the node is told to listen on.
    proxy = re.search(r"reverse_proxy ([0-9.]+):(\d+)", script)
    assert proxy is not None
    monitoring = media_iac.stack()["Resources"]["MonitoringIngress"]["Properties"]
    assert int(proxy[2]) == monitoring["FromPort"] == monitoring["ToPort"] == 7000
    assert launch.env["PARLEY_MEDIA_HOST"] in ("0.0.0.0", proxy[1])

    node = start_node(launch, iac_port=int(proxy[2]))
    await _wait_healthy(node, f"http://{proxy[1]}:{node.port}/health")
    # The image's own health check, run with the container's environment, agrees.
    check = await asyncio.to_thread(
        subprocess.run,
        [node.process.args[0], "-m", "media_nodes.health"],  # type: ignore[index]
        env=node.env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr

    entry = await _registry_entry(store, INSTANCE_ID)
    assert entry["endpoint"] == f"wss://{INSTANCE_ID}.media.example.com/rtc"
    assert entry["region"] == "eu-test"
    assert metadata_server.asked("public-ipv4"), metadata_server.requests

    candidates, pc = await _join(node, "127.0.0.1", connect=False)
    try:
        opened = _security_group_udp_ports(values)
        assert candidates, "the answer carries no candidate"
        assert {c.host for c in candidates} == {"127.0.0.3"}
        assert all(c.port in opened for c in candidates), (candidates, opened)
        assert str(PortRange.parse(launch.env["PARLEY_MEDIA_RTP_PORTS"])) == str(opened)
    finally:
        await pc.close()


# ---------------------------------------------------------------- Kubernetes


async def test_the_kubernetes_environment_starts_a_node_the_probes_reach_and_clients_connect_to(
    start_node: Any,
    store: tuple[str, str],
    metadata_server: MetadataStub,
    unpatched_aiortc: None,
) -> None:
    pod_ip = "127.0.0.2"
    launch = media_iac.k8s_launch(
        {"status.podIP": pod_ip, "spec.nodeName": "media-1", "metadata.name": "media-node-x7k2p"}
    )
    launch.env["PARLEY_TABLE_NAME"] = store[1]  # the ConfigMap's placeholder, edited as documented
    # On EKS the pod's (host's) address is the one the public address maps onto; here equal,
    # so that a client on loopback can connect through the announced address.
    metadata_server.metadata.update({"instance-id": INSTANCE_ID, "public-ipv4": pod_ip})
    found = media_iac.manifests()
    (probe_port,) = {p["port"] for p in launch.probes}
    service = found[("Service", "media-node-metrics")]["spec"]["ports"][0]
    assert service["targetPort"] == probe_port
    caddy = found[("ConfigMap", "media-node-tls")]["data"]["Caddyfile"]
    proxy = re.search(r"reverse_proxy \{\$POD_IP\}:(\d+)", caddy)
    assert proxy is not None and int(proxy[1]) == probe_port

    node = start_node(launch, iac_port=probe_port)
    # The kubelet's httpGet without a host asks the pod's IP.
    for probe in launch.probes:
        await _wait_healthy(node, f"http://{pod_ip}:{node.port}{probe['path']}")

    entry = await _registry_entry(store, "media-node-x7k2p")
    assert entry["endpoint"] == "wss://media-1.media.example.com/rtc"
    assert metadata_server.asked("public-ipv4")

    # This process's ICE agent stays on loopback (this machine's rule for test traffic): the
    # node's hooks are not involved, only aioice's own agent with a loopback host address.
    install_ice_policy(IcePolicy(("127.0.0.1",)))
    candidates, pc = await _join(node, pod_ip, connect=True)
    try:
        opened = PortRange.parse(launch.env["PARLEY_MEDIA_RTP_PORTS"])
        assert {c.host for c in candidates} == {pod_ip}
        assert all(c.port in opened for c in candidates), (candidates, opened)
        (transceiver,) = pc.getTransceivers()
        remote = transceiver.receiver.transport.transport.getRemoteCandidates()
        assert {(c.ip, c.port) for c in remote} == {(c.host, c.port) for c in candidates}
    finally:
        await pc.close()


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "name", ["PARLEY_MEDIA_DRAIN_SECONDS", "PARLEY_MEDIA_RTP_PORT", "PARLEY_MEDIA_PUBLICIP"]
)
def test_an_unknown_parley_media_name_stops_the_node_with_its_name(
    image_python: Path, tmp_path: Path, name: str
) -> None:
    env = {"PARLEY_MEDIA_VOICE_JWKS": KEYS.jwks_json(), "PARLEY_MEDIA_REGISTRY": "false", name: "1"}
    started = time.monotonic()
    result = subprocess.run(
        [str(image_python), "-m", "media_nodes"],
        cwd=tmp_path,
        env={**env, "PARLEY_MEDIA_PORT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert f"unknown setting(s) {name}" in result.stderr
    assert time.monotonic() - started < 60


def test_a_metadata_service_that_does_not_answer_stops_the_node(
    image_python: Path, tmp_path: Path
) -> None:
    closed = _free_port("127.0.0.1")  # nothing listens there
    env = {
        "PARLEY_MEDIA_VOICE_JWKS": KEYS.jwks_json(),
        "PARLEY_MEDIA_REGISTRY": "false",
        "PARLEY_MEDIA_PORT": "0",
        "PARLEY_MEDIA_PUBLIC_IP": "ec2-metadata",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{closed}",
    }
    result = subprocess.run(
        [str(image_python), "-m", "media_nodes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "public_ip" in result.stderr and "public-ipv4" in result.stderr
