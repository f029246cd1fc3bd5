"""What the UI asks before and around signing in (docs/client.md): the gateway's URL, the OpenID
providers' buttons, and the ban list's unban (GUILD_BAN_REMOVE + an audit entry)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.config import get_settings
from shared.guilds.domain.permissions import Permission
from tests.functional.apigw import request
from tests.functional.guildkit import StreamTap, create_guild, join, member_with, new_user
from tests.functional.harness import Api, template


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Environment changes that the settings (cached per process) pick up, undone after."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_gateway_answers_the_configured_url_without_a_token(
    api: Api, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("PARLEY_GATEWAY_URL", "wss://gw.example.test/v1")
    get_settings.cache_clear()
    reply = api.request("GET", "/api/v1/gateway")
    assert reply.status == 200, reply
    assert reply.body == {"url": "wss://gw.example.test/v1"}


def test_the_template_gives_the_auth_function_the_websocket_apis_url() -> None:
    env = template().functions["AuthFunction"].environment
    url = env["PARLEY_GATEWAY_URL"]
    assert url.startswith("wss://") and ".execute-api." in url, url
    assert url.endswith("/v1"), url  # the stage: @connections and clients both use it


def test_no_providers_configured_means_no_buttons(
    api: Api, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("PARLEY_OIDC_PROVIDERS", "{}")
    get_settings.cache_clear()
    reply = api.request("GET", "/api/v1/auth/oidc/providers")
    assert (reply.status, reply.body) == (200, {"providers": []})


def test_providers_list_ids_and_names_and_never_a_secret(
    api: Api, settings_env: pytest.MonkeyPatch
) -> None:
    configured = {
        "zeta": {"issuer": "https://zeta.example.test", "client_id": "z"},
        "acme": {
            "issuer": "https://login.acme.example.test",
            "client_id": "parley-client",
            "client_secret": "very-secret-value",
            "name": "Acme SSO",
        },
    }
    settings_env.setenv("PARLEY_OIDC_PROVIDERS", json.dumps(configured))
    get_settings.cache_clear()
    reply = api.request("GET", "/api/v1/auth/oidc/providers")
    assert reply.status == 200, reply
    assert reply.body == {
        "providers": [{"id": "acme", "name": "Acme SSO"}, {"id": "zeta", "name": "zeta"}]
    }
    text = json.dumps(reply.body)
    for secret in ("very-secret-value", "parley-client", "login.acme.example.test"):
        assert secret not in text


@pytest.mark.usefixtures("store")
def test_unban_sends_guild_ban_remove_and_is_audited() -> None:
    audit_feed = StreamTap()  # its own read position: feeds the audit log consumer
    owner = new_user()
    guild = create_guild(owner)
    gid = guild["id"]
    banner = member_with(guild, Permission.BAN_MEMBERS)
    auditor = member_with(guild, Permission.VIEW_AUDIT_LOG)
    plain = new_user()
    join(guild, plain)
    victim = new_user()
    join(guild, victim)
    url = f"/guilds/{gid}/bans/{victim}"
    assert request("PUT", url, user=banner, body={"reason": "spam"}).status == 204
    listed = request("GET", f"/guilds/{gid}/bans", user=banner)
    assert listed.body == [{"user": {"id": str(victim)}, "reason": "spam"}]
    assert request("GET", f"/guilds/{gid}/bans", user=plain).status == 403
    # BAN_MEMBERS is needed to revoke, too
    refused = request("DELETE", url, user=plain)
    assert refused.status == 403, refused
    tap = StreamTap()
    tap.read()
    assert (
        request("DELETE", url, user=banner, headers={"X-Audit-Log-Reason": "appeal"}).status == 204
    )
    events = [(e["t"], e["d"]) for e in tap.events()]
    assert events == [("GUILD_BAN_REMOVE", {"guild_id": gid, "user": {"id": str(victim)}})]
    assert request("GET", f"/guilds/{gid}/bans", user=banner).body == []
    audit_feed.pump()
    entries = request("GET", f"/guilds/{gid}/audit-log", user=auditor).body["audit_log_entries"]
    unban = entries[0]
    assert unban["action_type"] == 23  # MEMBER_BAN_REMOVE
    assert (unban["user_id"], unban["target_id"]) == (str(banner), str(victim))
    assert unban["reason"] == "appeal"
