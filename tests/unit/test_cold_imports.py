"""What a cold start imports: a library is loaded by the code that uses it, not by every import
of a handler (bench/coldstart.py measures what that costs; these hold the structure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

#: Lambda's environment without tracing (as the emulator and the tests run the functions).
UNTRACED = {"LAMBDA_TASK_ROOT": str(REPO_ROOT), "POWERTOOLS_TRACE_DISABLED": "true"}


def loaded_packages(module: str, environ: dict[str, str]) -> set[str]:
    """The top-level packages a fresh interpreter holds once it has imported ``module``."""
    probe = (
        "import json, sys; __import__(sys.argv[1]); "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_REGION": "us-east-1", **environ}
    done = subprocess.run(
        [sys.executable, "-c", probe, module],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout))


def test_the_auth_function_loads_the_openid_client_only_for_an_openid_login() -> None:
    cold = loaded_packages("functions.auth.app", UNTRACED)
    assert "functions" in cold  # the probe did import the handler
    assert not {"authlib", "requests", "joserfc"} & cold
    # The module the OpenID routes import on first use brings them.
    assert {"authlib", "requests", "joserfc"} <= loaded_packages(
        "shared.auth.oidc_client", UNTRACED
    )
