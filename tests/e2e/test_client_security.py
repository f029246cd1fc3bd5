"""The web client keeps its tokens for its own server, on the REAL local stack in Debian's
Chromium: a link naming another server (``?server=``) sends that server nothing, neither on the
load that carries it nor on the next; tokens in a URL fragment the page did not ask for
(``#access_token=…``, login CSRF) do not sign it in.

The other server is a tiny real HTTP server run by the test (tests/e2e/recording_server.py):
it records every request and answers as an attacker would want (CORS open to any page, 401 to
``GET /users/@me`` so that a client would go on to send its refresh token).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests

from tests.e2e.recording_server import RecordingServer
from tests.integration.stackproc import StackProcess

TIMEOUT = 60_000
PASSWORD = "correct-Horse-battery-9"


@pytest.fixture
def other_server() -> Iterator[RecordingServer]:
    server = RecordingServer().start()
    try:
        yield server
    finally:
        server.stop()


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
    ui_stack: StackProcess, chromium: Any, other_server: RecordingServer
) -> None:
    http_url = ui_stack.info["http_url"]
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
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
    finally:
        context.close()


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
    ui_stack: StackProcess, chromium: Any, state: str | None
) -> None:
    http_url = ui_stack.info["http_url"]
    fragment = _forged_fragment(http_url, state)
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        page.goto(f"{http_url}/#{fragment}")
        assert settled(page) == "signed-out"
        # The fragment is gone from the address bar, and nothing of it was kept.
        assert "access_token" not in page.url
        kept = page.evaluate("JSON.stringify(Object.entries(localStorage))")
        assert "mallory_csrf" not in kept and "refresh" not in kept.lower(), kept
        # A reload does not sign it in either.
        page.reload()
        assert settled(page) == "signed-out"
    finally:
        context.close()
