"""Tracing is built only where Powertools' tracer would trace: inside Lambda, not switched off."""

from __future__ import annotations

import subprocess
import sys

import pytest
from aws_lambda_powertools import Tracer

from shared.observability import tracing_enabled

LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        (LAMBDA, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({**LAMBDA, "AWS_SAM_LOCAL": "true"}, False),
        ({**LAMBDA, "AWS_CHALICE_CLI_MODE": "true"}, False),
        ({"POWERTOOLS_TRACE_DISABLED": "false"}, False),
    ],
)
def test_tracing_is_on_exactly_where_powertools_would_trace(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: bool
) -> None:
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CHALICE_CLI_MODE", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert tracing_enabled(environ) is expected
    # Powertools' own judgement in the same environment agrees.
    assert (not Tracer._is_tracer_disabled()) is expected


def _imports_xray(environ: dict[str, str]) -> bool:
    probe = "import sys, shared.observability; print('aws_xray_sdk' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_the_x_ray_sdk_is_imported_only_when_tracing() -> None:
    base = {"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"}
    assert not _imports_xray(base)
    assert not _imports_xray({**base, **LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"})
    assert _imports_xray({**base, **LAMBDA})
