"""The web client keeps its tokens for its own server, on the REAL local stack in Debian's
Chromium: a link naming another server (``?server=``) sends that server nothing, neither on the
load that carries it nor on the next; tokens in a URL fragment the page did not ask for
(``#access_token=…``, login CSRF) do not sign it in, while a sign-in the page starts with the
real OpenID provider the tests run (tests/oidc) still does.

The other server is a tiny real HTTP server run by the test (tests/e2e/recording_server.py):
it records every request and answers as an attacker would want (CORS open to any page, 401 to
``GET /users/@me`` so that a client would go on to send its refresh token).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests

from tests.e2e.recording_server import RecordingServer
from tests.integration.stackproc import REPO_ROOT, StackProcess

TIMEOUT = 60_000
PASSWORD = "correct-Horse-battery-9"


OIDC_DIR = REPO_ROOT / "tests" / "oidc"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, ui_dist: Path) -> Iterator[StackProcess]:
    """`parley dev` serving the built UI, with the real OpenID provider configured as "local".

    The provider starts first (the stack needs its issuer); the stack's callback URL, known
    once the stack is up, is then handed to the provider on its stdin."""
    node = shutil.which("node")
    assert node is not None, "node is needed (make install)"
    assert (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(), "run: make install"
    provider = subprocess.Popen(
        [node, str(OIDC_DIR / "provider.mjs")],
        env={"PATH": "/usr/bin:/bin", "REDIRECT_URIS": "stdin"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert provider.stdin is not None and provider.stdout is not None
    running: StackProcess | None = None
    try:
        line = provider.stdout.readline()  # blocks until it listens (or exits: empty line)
        assert line, "the OpenID provider did not start"
        issuer = json.loads(line)["issuer"]
        providers = {
            "local": {
                "issuer": issuer,
                "client_id": "parley",
                "client_secret": "parley-test-secret",
                "name": "Test Provider",
            }
        }
        running = StackProcess(
            tmp_path_factory.mktemp("client-security"),
            extra_args=[
                "--no-reload",
                "--no-warm",
                "--no-media-node",
                "--parameter-overrides",
                f"OidcProviders={json.dumps(providers)}",
            ],
        )
        running.start()
        callback = f"{running.info['http_url']}/api/v1/auth/oidc/local/callback"
        provider.stdin.write(callback + "\n")
        provider.stdin.flush()
        assert json.loads(provider.stdout.readline()) == {"ready": True}
        yield running
    finally:
        if running is not None:
            running.stop()
        provider.terminate()
        provider.wait(10)


@pytest.fixture
def other_server() -> Iterator[RecordingServer]:
    server = RecordingServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh browser context (nothing stored)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    fresh = context.new_page()
    fresh.set_default_timeout(TIMEOUT)
    try:
        yield fresh
    finally:
        context.close()


def settled(page: Any) -> str:
    """Wait until the page has finished starting (signed in, or at the sign-in form); which."""
    page.locator("[data-testid=main], [data-testid=login-name]").first.wait_for(timeout=TIMEOUT)
    return "signed-in" if page.locator("[data-testid=main]").count() else "signed-out"


def register_through_the_form(page: Any, name: str) -> None:
    page.get_by_role("tab", name="Register").click()
    page.get_by_test_id("login-name").fill(name)
    page.get_by_test_id("register-email").fill(f"{name}@example.com")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("You are not in any server yet").wait_for(timeout=TIMEOUT)


def saved_refresh_token(page: Any) -> str:
    """The refresh token the page keeps for its own server (whatever the storage key)."""
    found: str | None = page.evaluate(
        """() => {
          for (let i = 0; i < localStorage.length; i++) {
            const key = localStorage.key(i);
            if (!key.startsWith("parley.session")) continue;
            try {
              const saved = JSON.parse(localStorage.getItem(key));
              if (saved?.tokens?.refreshToken) return saved.tokens.refreshToken;
            } catch {}
          }
          return null;
        }"""
    )
    assert found, "the page kept no session"
    return found


def test_a_link_naming_another_server_sends_it_no_tokens(
    stack: StackProcess, page: Any, other_server: RecordingServer
) -> None:
    http_url = stack.info["http_url"]
    page.goto(f"{http_url}/")
    register_through_the_form(page, "victim_link")
    refresh_token = saved_refresh_token(page)

    # The link an attacker sends: the victim's own Parley, told to use another server.
    link = f"{http_url}/?server={quote(other_server.url, safe='')}"
    link += f"&gateway={quote(other_server.url.replace('http', 'ws') + '/', safe='')}"
    page.goto(link)
    first = settled(page)
    leaked = other_server.credentials_seen(refresh_token)
    assert leaked == [], f"the link's load sent the other server credentials: {leaked}"
    # The page says it did not follow the link's server.
    page.get_by_text("was ignored", exact=False).first.wait_for(timeout=TIMEOUT)
    # ... and the next visit, without the parameter.
    page.goto(f"{http_url}/")
    second = settled(page)
    leaked = other_server.credentials_seen(refresh_token)
    assert leaked == [], f"the next load sent the other server credentials: {leaked}"
    assert other_server.requests == [], other_server.requests
    # The page went on with its own server, signed in as before.
    assert (first, second) == ("signed-in", "signed-in")
    assert saved_refresh_token(page)


def _forged_fragment(http_url: str, state: str | None) -> str:
    """Tokens of the attacker's own account, as a fragment to plant in a victim's page."""
    reply = requests.post(
        f"{http_url}/api/v1/auth/register",
        json={"username": "mallory_csrf", "email": "mallory@example.com", "password": PASSWORD},
        timeout=30,
    )
    if reply.status_code == 409:
        reply = requests.post(
            f"{http_url}/api/v1/auth/login",
            json={"login": "mallory_csrf", "password": PASSWORD},
            timeout=30,
        )
    assert reply.status_code in (200, 201), reply.text
    session = reply.json()
    fields = {
        "access_token": session["access_token"],
        "refresh_token": session["refresh_token"],
        "token_type": "Bearer",
        "expires_in": session["expires_in"],
        "user_id": session["user"]["id"],
        "username": session["user"]["username"],
    }
    if state is not None:
        fields["state"] = state
    return urlencode(fields)


@pytest.mark.parametrize("state", [None, "a-state-this-page-never-made"])
def test_tokens_in_a_fragment_the_page_did_not_ask_for_do_not_sign_it_in(
    stack: StackProcess, page: Any, state: str | None
) -> None:
    http_url = stack.info["http_url"]
    fragment = _forged_fragment(http_url, state)
    page.goto(f"{http_url}/#{fragment}")
    assert settled(page) == "signed-out"
    # The fragment is gone from the address bar, and nothing of it was kept.
    assert "access_token" not in page.url
    kept = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "mallory_csrf" not in kept and "refresh" not in kept.lower(), kept
    # A reload does not sign it in either.
    page.reload()
    assert settled(page) == "signed-out"


def test_a_sign_in_the_page_starts_with_the_provider_still_signs_it_in(
    stack: StackProcess, page: Any
) -> None:
    """ "Sign in with …": the page's own state goes to the start route, through the provider's
    real login and consent pages, and comes back with the tokens: the page is signed in."""
    http_url = stack.info["http_url"]
    page.goto(f"{http_url}/")
    with page.expect_request("**/auth/oidc/local/start?*") as started:
        page.get_by_role("button", name="Sign in with Test Provider").click()
    assert "state=" in started.value.url
    # The provider's own development login form, then its consent form.
    page.locator("input[name=login]").fill("olivia_oidc")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()
    page.get_by_text("You are not in any server yet").wait_for(timeout=TIMEOUT)
    assert settled(page) == "signed-in"
    assert page.url == f"{http_url}/"  # the tokens were taken out of the address bar
    assert saved_refresh_token(page)
    # The start's state was the page's own, used once.
    assert page.evaluate("sessionStorage.getItem('parley.oidc.state')") is None
