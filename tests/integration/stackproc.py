"""A `parley dev` process for tests: ephemeral ports, a ready file, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psutil

from emulator.store_credentials import StoreCredentials

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Any, timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll a condition until it holds (its value is returned) or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@dataclass
class StackProcess:
    workdir: Path
    template: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.workdir / "stack.log"

    def start(self, timeout: float = 120.0) -> dict[str, Any]:
        ready = self.workdir / "ready.json"
        args = [
            sys.executable,
            "-m",
            "emulator.cli",
            "dev",
            "--http-port",
            "0",
            "--ws-port",
            "0",
            "--store-port",
            "0",
            "--ready-file",
            str(ready),
            *self.extra_args,
        ]
        if self.template is not None:
            args += ["--template", str(self.template)]
        if "--no-media-node" not in self.extra_args and "--media-port" not in self.extra_args:
            # The real template's stacks get a media node on a free port; a test template
            # (no voice) gets none.
            args += ["--media-port", "0"] if self.template is None else ["--no-media-node"]
        env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
        env.update(self.env)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

        def up() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"parley dev exited early:\n{self.log_path.read_text()}")
            return ready.exists()

        wait_for(up, timeout, "parley dev to be ready")
        self.info = json.loads(ready.read_text())
        return self.info

    def store_credentials(self) -> StoreCredentials:
        """The key pair the stack's embedded store answers (none other)."""
        return StoreCredentials.read(Path(self.info["store_credentials"]))

    def store_env(self) -> dict[str, str]:
        """What a process needs to reach the stack's store: its endpoint and key pair."""
        return {"AWS_ENDPOINT_URL": self.info["store_url"], **self.store_credentials().env()}

    def _store_session(self) -> boto3.session.Session:
        keys = self.store_credentials()
        return boto3.session.Session(
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            region_name="us-east-1",
        )

    def store_client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of the stack's store, signing with its key pair."""
        session = self._store_session()
        return session.client(service, endpoint_url=self.info["store_url"], **kwargs)  # type: ignore[call-overload]

    def store_resource(self, service: str) -> Any:
        session = self._store_session()
        return session.resource(service, endpoint_url=self.info["store_url"])  # type: ignore[call-overload]

    def stop(self, timeout: float = 30.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                child.kill()
            self.process.kill()
            raise

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
