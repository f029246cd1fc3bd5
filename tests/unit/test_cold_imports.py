"""What a cold start imports: a library is loaded by the code that uses it, not by every import
of a handler (bench/coldstart.py measures what that costs; these hold the structure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

#: Lambda's environment as deployed (``Tracing: Active``), and without tracing (as the emulator
#: and the tests run the functions).
TRACED = {"LAMBDA_TASK_ROOT": str(REPO_ROOT)}
UNTRACED = {**TRACED, "POWERTOOLS_TRACE_DISABLED": "true"}

#: The top-level packages a fresh interpreter holds once it has imported ``argv[1]``.
PACKAGES_PROBE = """\
import json, sys
__import__(sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""
#: After the handler's import: which of botocore's client and requests it loaded, and which of
#: the libraries whose calls the trace shows are patched once imported.
PATCHED_PROBE = """\
import json, sys
__import__(sys.argv[1])
loaded = sorted({"botocore.client", "requests"} & set(sys.modules))
import boto3, botocore.client, botocore.httpsession, pynamodb, requests
print(json.dumps({
    "loaded": loaded,
    "botocore": hasattr(botocore.client.BaseClient._make_api_call, "__wrapped__"),
    "pynamodb": hasattr(botocore.httpsession.URLLib3Session.send, "__wrapped__"),
    "requests": hasattr(requests.Session.request, "__wrapped__"),
}))
"""


def probe(code: str, module: str, environ: dict[str, str]) -> Any:
    """What ``code`` prints as JSON in a fresh interpreter, given ``module`` to import."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_REGION": "us-east-1", **environ}
    done = subprocess.run(
        [sys.executable, "-c", code, module],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_auth_function_loads_the_openid_client_only_for_an_openid_login() -> None:
    cold = set(probe(PACKAGES_PROBE, "functions.auth.app", UNTRACED))
    assert "functions" in cold  # the probe did import the handler
    assert not {"authlib", "requests", "joserfc"} & cold
    # The module the OpenID routes import on first use brings them.
    assert {"authlib", "requests", "joserfc"} <= set(
        probe(PACKAGES_PROBE, "shared.auth.oidc_client", UNTRACED)
    )


def test_a_traced_function_patches_what_it_imports_and_imports_nothing_for_tracing() -> None:
    # The health function calls DynamoDB through pynamodb, and never requests: requests is
    # patched once something imports it (the probe, here).
    assert probe(PATCHED_PROBE, "functions.health.app", TRACED) == {
        "loaded": ["botocore.client"],
        "botocore": True,
        "pynamodb": True,
        "requests": True,
    }
    # The authorizer verifies tokens with keys it has, then reads whether the token's login has
    # ended, through pynamodb.
    assert probe(PATCHED_PROBE, "websocket_routes.authorizer.app", TRACED) == {
        "loaded": ["botocore.client"],
        "botocore": True,
        "pynamodb": True,
        "requests": True,
    }


@pytest.mark.parametrize(
    "module",
    [
        "functions.users.app",  # profiles: it never signs anyone in
        "websocket_routes.default.app",  # only IDENTIFY and RESUME check a token
    ],
)
def test_token_signing_and_verifying_load_with_the_requests_that_use_them(module: str) -> None:
    cold = set(probe(PACKAGES_PROBE, module, UNTRACED))
    assert "shared" in cold  # the probe did import the handler
    # PyJWT (and cryptography with it, which this virtualenv loads anyway through pyOpenSSL)
    assert "jwt" not in cold
