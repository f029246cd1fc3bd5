"""OpenID login end to end against a real provider: panva's certified ``oidc-provider``, run
by the test in Node on an ephemeral port. The browser is an HTTP client that fills in the
provider's own login and consent forms; nothing on the provider's side is mocked."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities import parameters

from shared.config import get_settings
from tests.functional.harness import Api, Reply

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CALLBACK = "http://parley.test/api/v1/auth/oidc/local/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL, with its process running."""
    node = shutil.which("node")
    assert node is not None, "node is needed (make install)"
    assert (OIDC_DIR / "node_modules" / "oidc-provider").is_dir(), "run: make install"
    process = subprocess.Popen(
        [node, str(OIDC_DIR / "provider.mjs")],
        env={"PATH": "/usr/bin:/bin", "REDIRECT_URIS": CALLBACK},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until it listens (or exits: empty line)
    assert line, "the OpenID provider did not start"
    try:
        yield json.loads(line)["issuer"]
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def oidc_api(api: Api, provider: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from shared.auth import oidc

    providers = {
        "local": {
            "issuer": provider,
            "client_id": "parley",
            "client_secret": "parley-test-secret",
        }
    }
    monkeypatch.setenv("PARLEY_OIDC_PROVIDERS", json.dumps(providers))
    get_settings.cache_clear()
    oidc._client.cache_clear()
    yield api
    get_settings.cache_clear()
    oidc._client.cache_clear()


def _form(html: str, base: str) -> tuple[str, dict[str, str]]:
    """The first form of a page: its absolute action and its hidden inputs."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, html[:500]
    hidden = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)
    )
    return urljoin(base, action.group(1)), hidden


def browse_to_callback(browser: requests.Session, url: str, account: str) -> str:
    """Follow the provider's pages as a person would, until it sends us back to Parley."""
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(CALLBACK):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
        action, fields = _form(response.text, response.url)
        if 'name="login"' in response.text:
            fields.update({"login": account, "password": "anything"})
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
        assert response.is_redirect, response.text[:500]
        url = urljoin(response.url, response.headers["Location"])
        if url.startswith(CALLBACK):
            return url
    raise AssertionError("the provider never sent the browser back")


def sign_in(
    api: Api, account: str, return_to: str | None = None, client_state: str | None = None
) -> tuple[Reply, str, str]:
    """Start at Parley, sign in at the provider; (callback reply, callback URL, state cookie).
    ``return_to``: the page the start names to come back to; ``client_state``: that page's own
    state."""
    asked = {"redirect_uri": return_to} if return_to else {}
    if client_state is not None:
        asked["state"] = client_state
    start = api.request("GET", "/api/v1/auth/oidc/local/start", query=asked or None)
    assert start.status == 302
    location = start.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["nonce"] and query["state"] and query["redirect_uri"] == [CALLBACK]
    cookie = next(c for c in start.cookies if c.startswith("parley_oidc_state="))
    state_cookie = cookie.split(";")[0]
    assert "HttpOnly" in cookie
    with requests.Session() as browser:
        callback = browse_to_callback(browser, location, account)
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    reply = api.request(
        "GET", "/api/v1/auth/oidc/local/callback", query=params, cookies=[state_cookie]
    )
    return reply, callback, state_cookie


def test_first_login_creates_an_account_and_the_next_signs_into_it(oidc_api: Api) -> None:
    reply, _, _ = sign_in(oidc_api, "quentin")
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["email"] == "quentin@example.com"
    assert body["user"]["verified"] is True
    assert body["user"]["username"] == "quentin"
    me = oidc_api.request("GET", "/api/v1/users/@me", token=body["access_token"])
    assert me.status == 200 and me.json()["id"] == body["user"]["id"]
    again, _, _ = sign_in(oidc_api, "quentin")
    assert again.status == 200 and again.json()["user"]["id"] == body["user"]["id"]


@pytest.mark.parametrize("page", ["", "http://127.0.0.1:5173/?invite=abc"])
def test_a_login_started_by_a_page_returns_to_it_with_the_tokens(oidc_api: Api, page: str) -> None:
    """The UI's sign-in: back to the page, the token pair in the fragment (a loopback page is
    a desktop shell's local UI)."""
    page = page or f"{get_settings().public_url.rstrip('/')}/app/"
    reply, _, _ = sign_in(oidc_api, "wendy", return_to=page)
    assert reply.status == 302, reply.body
    location = reply.headers["location"]
    assert location.startswith(page + "#")
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert fragment["token_type"] == "Bearer" and int(fragment["expires_in"]) > 0
    assert fragment["username"] == "wendy" and fragment["refresh_token"]
    assert reply.headers["cache-control"] == "no-store"
    me = oidc_api.request("GET", "/api/v1/users/@me", token=fragment["access_token"])
    assert me.status == 200 and me.json()["id"] == fragment["user_id"]


def _fragment(reply: Reply, page: str) -> dict[str, str]:
    assert reply.status == 302, reply.body
    location = reply.headers["location"]
    assert location.startswith(page + "#")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def test_the_page_gets_its_own_state_back_with_the_tokens(oidc_api: Api) -> None:
    """The UI accepts fragment tokens only with the state it made (login CSRF): the server
    carries it back, beside the provider's state, nonce and PKCE, which it keeps doing."""
    page = "http://127.0.0.1:5173/"
    mine = "page-state_" + secrets.token_urlsafe(24)
    reply, callback, _ = sign_in(oidc_api, "wendy", return_to=page, client_state=mine)
    fragment = _fragment(reply, page)
    assert fragment["state"] == mine and fragment["refresh_token"]
    # The provider was given the server's own state, not the page's.
    assert parse_qs(urlsplit(callback).query)["state"] != [mine]


def test_a_failed_login_gives_the_page_its_state_back_too(oidc_api: Api) -> None:
    page = "http://127.0.0.1:5173/"
    mine = secrets.token_urlsafe(24)
    reply, _, _ = sign_in(oidc_api, "unverified-sybil", return_to=page, client_state=mine)
    fragment = _fragment(reply, page)
    assert fragment["error"] == "email_not_verified" and fragment["state"] == mine


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("a" * 15, 400),  # too short to be a random state
        ("a" * 16, 302),
        ("a" * 128, 302),
        ("a" * 129, 400),
        ("has spaces and &=#", 400),
        ("", 400),
    ],
)
def test_the_page_state_is_limited(oidc_api: Api, state: str, status: int) -> None:
    start = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/start",
        query={"redirect_uri": "http://127.0.0.1:5173/", "state": state},
    )
    assert start.status == status, start.body
    if status == 400:
        assert start.json()["code"] and start.json()["message"]
        assert not start.cookies


@pytest.mark.parametrize(
    "page",
    [
        "https://elsewhere.example/",  # another site would get the tokens
        "http://parley.test.elsewhere.example/",
        "javascript:alert(1)",
        "/relative",
        "http://127.0.0.1:5173/#already-a-fragment",
        "http://parley.test@elsewhere.example/",  # credentials, and the host is elsewhere
        "http://someone@127.0.0.1:5173/",  # credentials in a return address: never
        "http://127.0.0.1:99999/",  # no such port
    ],
)
def test_a_login_cannot_be_sent_back_anywhere_else(oidc_api: Api, page: str) -> None:
    start = oidc_api.request("GET", "/api/v1/auth/oidc/local/start", query={"redirect_uri": page})
    assert start.status == 400, start.body
    assert start.json()["code"] == "invalid_return"
    assert not start.cookies


def test_an_allowed_origin_may_be_configured(
    oidc_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_OIDC_RETURN_ORIGINS", '["https://app.parley.example"]')
    get_settings.cache_clear()
    try:
        reply, _, _ = sign_in(oidc_api, "xavier", return_to="https://app.parley.example/")
    finally:
        monkeypatch.delenv("PARLEY_OIDC_RETURN_ORIGINS")
        get_settings.cache_clear()
    assert reply.status == 302
    assert reply.headers["location"].startswith("https://app.parley.example/#access_token=")


def test_a_password_account_with_an_unverified_email_is_never_joined(oidc_api: Api) -> None:
    # Anyone may register an address they do not own; the owner's provider sign-in must not
    # land in that account.
    squatter = oidc_api.register("rupert", email="rupert@example.com").json()["user"]
    reply, _, _ = sign_in(oidc_api, "rupert")
    assert reply.status == 409, reply.body
    assert reply.json()["code"] == "account_exists"
    assert set(reply.json()) >= {"code", "message"}
    assert "access_token" not in reply.body
    # nothing was linked: the next sign-in is refused the same way, the squatter's password
    # still opens only the squatter's own account
    again, _, _ = sign_in(oidc_api, "rupert")
    assert again.status == 409 and again.json()["code"] == "account_exists"
    assert oidc_api.login("rupert").json()["user"]["id"] == squatter["id"]


def test_an_account_whose_email_is_verified_is_linked(oidc_api: Api) -> None:
    from shared.auth.storage.users import UserItem
    from shared.table.keys import user_key

    existing = oidc_api.register("rosalind", email="rosalind@example.com").json()["user"]
    item = UserItem.get(*user_key(int(existing["id"])))
    item.email_verified = True  # as an email verification would leave it
    item.save()
    reply, _, _ = sign_in(oidc_api, "rosalind")
    assert reply.status == 200, reply.body
    assert reply.json()["user"]["id"] == existing["id"]
    assert oidc_api.login("rosalind").status == 200  # the password still works too


def test_unverified_email_is_refused(oidc_api: Api) -> None:
    reply, _, _ = sign_in(oidc_api, "unverified-sybil")
    assert reply.status == 403
    assert reply.json()["code"] == "email_not_verified"


def _failure(reply: Reply, page: str) -> dict[str, str]:
    """The error a failed login sent its page (302 there, the error in the fragment)."""
    assert reply.status == 302, reply.body
    location = reply.headers["location"]
    assert location.startswith(page + "#")
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert "access_token" not in fragment and "refresh_token" not in fragment
    return fragment


def test_a_failed_login_goes_back_to_its_page_with_the_error(oidc_api: Api) -> None:
    page = "http://127.0.0.1:5173/"
    reply, _, _ = sign_in(oidc_api, "unverified-sybil", return_to=page)
    assert _failure(reply, page)["error"] == "email_not_verified"

    start = oidc_api.request("GET", "/api/v1/auth/oidc/local/start", query={"redirect_uri": page})
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    cookie = start.cookies[0].split(";")[0]
    denied = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/callback",
        query={"error": "access_denied", "state": state},
        cookies=[cookie],
    )
    fragment = _failure(denied, page)
    assert fragment["error"] == "oidc_denied" and "access_denied" in fragment["error_description"]
    # the pending login was used up: the same state cannot sign in afterwards
    again = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/callback",
        query={"code": "x", "state": state},
        cookies=[cookie],
    )
    assert again.status == 401 and again.json()["code"] == "oidc_state"


def test_a_failure_whose_state_does_not_check_out_is_answered_in_place(oidc_api: Api) -> None:
    page = "http://127.0.0.1:5173/"
    start = oidc_api.request("GET", "/api/v1/auth/oidc/local/start", query={"redirect_uri": page})
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    denied = oidc_api.request(  # no state cookie: nothing vouches for the page
        "GET",
        "/api/v1/auth/oidc/local/callback",
        query={"error": "access_denied", "state": state},
    )
    assert denied.status == 401 and denied.json()["code"] == "oidc_denied"


def test_callback_is_single_use_and_bound_to_the_browser(oidc_api: Api, provider: str) -> None:
    start = oidc_api.request("GET", "/api/v1/auth/oidc/local/start")
    with requests.Session() as browser:
        url = browse_to_callback(browser, start.headers["location"], "trent")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    cookie = start.cookies[0].split(";")[0]
    # another browser (no state cookie, or someone else's) cannot finish this sign-in
    stranger = oidc_api.request("GET", "/api/v1/auth/oidc/local/callback", query=params)
    assert stranger.status == 401 and stranger.json()["code"] == "oidc_state"
    ok = oidc_api.request("GET", "/api/v1/auth/oidc/local/callback", query=params, cookies=[cookie])
    assert ok.status == 200
    replay = oidc_api.request(
        "GET", "/api/v1/auth/oidc/local/callback", query=params, cookies=[cookie]
    )
    assert replay.status == 401 and replay.json()["code"] == "oidc_state"


def test_a_tampered_code_is_refused(oidc_api: Api) -> None:
    start = oidc_api.request("GET", "/api/v1/auth/oidc/local/start")
    with requests.Session() as browser:
        url = browse_to_callback(browser, start.headers["location"], "victor")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    params["code"] = params["code"][:-2] + "xx"
    reply = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/callback",
        query=params,
        cookies=[start.cookies[0].split(";")[0]],
    )
    assert reply.status == 401 and reply.json()["code"] == "oidc_failed"


def test_provider_error_and_unknown_provider(oidc_api: Api) -> None:
    denied = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/callback",
        query={"error": "access_denied", "state": "x"},
    )
    assert denied.status == 401 and denied.json()["code"] == "oidc_denied"
    unknown = oidc_api.request("GET", "/api/v1/auth/oidc/nope/start")
    assert unknown.status == 404 and unknown.json()["code"] == "unknown_provider"


# ---------------------------------------------------------------- client secrets in Secrets Manager


@pytest.fixture
def secret_store(api: Api, provider: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The provider configured without its secret; a function to put the secret in moto's
    Secrets Manager, as the template's ``OidcClientSecretsArn`` names it."""
    from shared.auth import oidc

    providers = {"local": {"issuer": provider, "client_id": "parley"}}
    monkeypatch.setenv("PARLEY_OIDC_PROVIDERS", json.dumps(providers))
    client = boto3.client("secretsmanager")

    def store(value: str) -> None:
        arn = client.create_secret(Name=f"parley/oidc-{secrets.token_hex(4)}", SecretString=value)
        monkeypatch.setenv("PARLEY_OIDC_CLIENT_SECRETS_ARN", arn["ARN"])
        get_settings.cache_clear()
        oidc._client.cache_clear()

    parameters.clear_caches()
    yield store
    parameters.clear_caches()
    get_settings.cache_clear()
    oidc._client.cache_clear()


def test_the_client_secret_comes_from_secrets_manager(api: Api, secret_store: Any) -> None:
    secret_store(json.dumps({"local": "parley-test-secret", "other": "unused"}))
    reply, _, _ = sign_in(api, "wendy")
    assert reply.status == 200, reply.body
    assert reply.json()["user"]["username"] == "wendy"


def test_a_wrong_secret_in_secrets_manager_is_what_the_provider_sees(
    api: Api, secret_store: Any
) -> None:
    secret_store(json.dumps({"local": "not-the-secret"}))
    reply, _, _ = sign_in(api, "xavier")
    assert reply.status == 401 and reply.json()["code"] == "oidc_failed"


def test_without_the_secret_arn_the_settings_secret_is_used(
    api: Api, provider: str, secret_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locally (the ARN parameter's default is empty), the providers' settings hold it."""
    secret_store(json.dumps({"local": "not-the-secret"}))
    providers = {
        "local": {"issuer": provider, "client_id": "parley", "client_secret": "parley-test-secret"}
    }
    monkeypatch.setenv("PARLEY_OIDC_PROVIDERS", json.dumps(providers))
    monkeypatch.setenv("PARLEY_OIDC_CLIENT_SECRETS_ARN", "")
    get_settings.cache_clear()
    reply, _, _ = sign_in(api, "yolanda")
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("value", ["not json", '["a list"]', '{"local": 42}'])
def test_an_unusable_secret_is_a_503_not_a_500(api: Api, secret_store: Any, value: str) -> None:
    secret_store(value)
    reply = api.request("GET", "/api/v1/auth/oidc/local/start")
    assert reply.status == 503 and reply.json()["code"] == "oidc_unavailable"


def test_a_missing_secret_is_a_503(
    api: Api, secret_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_store("{}")
    monkeypatch.setenv(
        "PARLEY_OIDC_CLIENT_SECRETS_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:parley/none-AbCdEf",
    )
    get_settings.cache_clear()
    reply = api.request("GET", "/api/v1/auth/oidc/local/start")
    assert reply.status == 503 and reply.json()["code"] == "oidc_unavailable"


def test_without_a_public_url_the_redirect_uri_is_the_host_the_request_came_in_on(
    oidc_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On AWS without a custom domain the template leaves PARLEY_PUBLIC_URL empty: the callback
    is on the HTTPS host API Gateway received the start on (the harness's is parley.test)."""
    monkeypatch.setenv("PARLEY_PUBLIC_URL", "")
    get_settings.cache_clear()
    start = oidc_api.request(
        "GET",
        "/api/v1/auth/oidc/local/start",
        query={"redirect_uri": "https://parley.test/app/"},
    )
    assert start.status == 302, start.body
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["redirect_uri"] == ["https://parley.test/api/v1/auth/oidc/local/callback"]
    cookie = next(c for c in start.cookies if c.startswith("parley_oidc_state="))
    assert "Secure" in cookie
    # Another origin than the request's own is still refused.
    refused = oidc_api.request(
        "GET", "/api/v1/auth/oidc/local/start", query={"redirect_uri": "https://evil.example.com/"}
    )
    assert refused.status == 400
    assert refused.body["code"] == "invalid_return"
