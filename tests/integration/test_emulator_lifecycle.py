"""Starting and stopping the stack: clean exits, clear errors, hot reload."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import psutil
import pytest
import requests

from tests.integration.chat import User, guild_with
from tests.integration.conftest import FIXTURE_TEMPLATE
from tests.integration.gateway_client import GatewayClient
from tests.integration.stackproc import REPO_ROOT, StackProcess, wait_for

pytestmark = pytest.mark.integration


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_closes_every_port_and_child(tmp_path: Path) -> None:
    stack = StackProcess(tmp_path, extra_args=["--no-reload"])
    info = stack.start()
    assert stack.process is not None
    children = psutil.Process(stack.process.pid).children(recursive=True)
    assert any("emulator.store_server" in " ".join(c.cmdline()) for c in children)
    assert any("emulator/worker.py" in " ".join(c.cmdline()) for c in children)
    ports = [_port(info["http_url"]), _port(info["ws_url"]), _port(info["store_url"])]
    assert all(_listening(p) for p in ports)

    assert stack.stop() == 0
    assert not any(_listening(p) for p in ports)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    out = stack.output()
    assert "parley dev: stopped" in out
    assert "Traceback" not in out


def _dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator.cli", "dev", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_taken_port_is_a_one_line_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = _dev("--http-port", str(taken), "--ws-port", "0", "--store-port", "0")
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"parley dev: port {taken} (HTTP API) on 127.0.0.1 is already in use: "
        "stop what holds it, or choose another with --http-port"
    ]


def test_invalid_template_is_a_one_line_error(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [this, is: not valid\n")
    result = _dev("--template", str(broken), "--http-port", "0", "--ws-port", "0")
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("parley dev: template.yaml is not a valid template")


def test_changed_function_code_is_served_without_restart(tmp_path: Path) -> None:
    code = tmp_path / "stack"
    shutil.copytree(FIXTURE_TEMPLATE.parent, code)
    (tmp_path / "records").mkdir()
    stack = StackProcess(
        tmp_path,
        template=code / "template.yaml",
        env={"FIXTURE_RECORD_DIR": str(tmp_path / "records")},
    )
    info = stack.start()
    try:
        version = f"{info['http_url']}/version"
        assert requests.get(version, timeout=20).json() == {"version": "one"}
        handlers = code / "handlers.py"
        handlers.write_text(handlers.read_text().replace('VERSION = "one"', 'VERSION = "two"'))
        wait_for(
            lambda: requests.get(version, timeout=20).json() == {"version": "two"},
            60,
            "the new code to be served",
            interval=0.2,
        )
    finally:
        assert stack.stop() == 0


def _exit_summary(out: str) -> dict[str, str]:
    """The ``parley dev: stopped (…)`` line, as {part: text} (``metrics`` split per metric)."""
    (line,) = re.findall(r"^parley dev: stopped \((.*)\)$", out, flags=re.MULTILINE)
    parts = dict(part.split(" ", 1) for part in line.split("; "))
    for figure in re.split(r", (?=[A-Z])", parts.pop("metrics")):
        name, text = figure.split(" ", 1)
        parts[name] = text
    return parts


async def test_the_exit_summary_sums_the_functions_own_metrics(tmp_path: Path) -> None:
    stack = StackProcess(
        tmp_path,
        extra_args=["--no-reload"],
        env={"PARLEY_BCRYPT_COST": "4", "PARLEY_DATA_DIR": str(tmp_path / "data")},
    )
    stack.start()
    try:
        async with aiohttp.ClientSession() as http:
            alice, bob = User.register(stack, http), User.register(stack, http)
            stranger = User.register(stack, http)
            guild = await guild_with(alice, bob)
            channel = next(c for c in guild["channels"] if c["type"] == 0)["id"]
            watching = GatewayClient(stack.info["ws_url"], bob.token, http)
            await watching.connect()
            await watching.identify()
            for n in range(3):
                await alice.call("POST", f"/channels/{channel}/messages", {"content": f"m{n}"}, 201)
            await stranger.call("GET", f"/channels/{channel}/messages", expect=404)
            for n in range(3):
                await watching.wait_for(
                    lambda f, n=n: f.get("t") == "MESSAGE_CREATE" and f["d"]["content"] == f"m{n}",
                    within=60,
                )
            await watching.send({"op": 42, "d": None})
            await watching.wait_for(lambda f: f.get("op") == 12, within=60)
            await watching.drop()
    finally:
        assert stack.stop() == 0
    summary = _exit_summary(stack.output())
    assert re.fullmatch(r"3 \([0-9.]+/s\)", summary["MessagesCreated"]), summary
    delivered = int(summary["Deliveries"].split(" ", 1)[0])
    assert delivered >= 3, summary
    latency = re.fullmatch(r"p50 (\d+) ms, p99 (\d+) ms \(n=(\d+)\)", summary["FanoutLatency"])
    assert latency is not None, summary
    assert int(latency[1]) <= int(latency[2]) and int(latency[3]) >= 3
    assert summary["ClientErrors"] == "1"
    assert summary["ServerErrors"] == "0"
    assert summary["GatewayErrors"] == "1"
    assert summary["ColdStart"] != "0"
