"""The remaining limits, each at its edge: n allowed, n+1 refused."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from shared.guilds.domain import size_limits as limits
from tests.functional.apigw import request
from tests.functional.guildkit import create_guild, new_user

pytestmark = pytest.mark.usefixtures("store")


def test_description_edge() -> None:
    owner = new_user()
    url = f"/guilds/{create_guild(owner)['id']}"
    most = "d" * limits.GUILD_DESCRIPTION_MAX
    assert request("PATCH", url, user=owner, body={"description": most}).status == 200
    assert request("PATCH", url, user=owner, body={"description": most + "d"}).status == 400


def test_role_name_edge() -> None:
    owner = new_user()
    url = f"/guilds/{create_guild(owner)['id']}/roles"
    most = "r" * limits.ROLE_NAME_MAX
    assert request("POST", url, user=owner, body={"name": most}).status == 201
    assert request("POST", url, user=owner, body={"name": most + "r"}).status == 400


def test_audit_log_reason_header_edge() -> None:
    owner = new_user()
    url = f"/guilds/{create_guild(owner)['id']}"
    most = "é" * limits.AUDIT_REASON_MAX
    ok = request("PATCH", url, user=owner, body={"name": "a1"}, headers={
        "X-Audit-Log-Reason": quote(most)})  # fmt: skip
    assert ok.status == 200
    too_long = request("PATCH", url, user=owner, body={"name": "a2"}, headers={
        "X-Audit-Log-Reason": quote(most + "é")})  # fmt: skip
    assert too_long.status == 400
    assert request("GET", url, user=owner).body["name"] == "a1"  # nothing half-written


@pytest.mark.parametrize(
    ("route", "most"),
    [("bans", limits.BANS_PAGE[1]), ("members", limits.MEMBERS_PAGE[1])],
)
def test_page_size_edges(route: str, most: int) -> None:
    owner = new_user()
    url = f"/guilds/{create_guild(owner)['id']}/{route}"
    assert request("GET", url, user=owner, query={"limit": most}).status == 200
    assert request("GET", url, user=owner, query={"limit": most + 1}).status == 400
    assert request("GET", url, user=owner, query={"limit": 0}).status == 400
    assert request("GET", url, user=owner, query={"after": "x"}).status == 400


def test_audit_page_edge() -> None:
    owner = new_user()
    url = f"/guilds/{create_guild(owner)['id']}/audit-log"
    assert request("GET", url, user=owner, query={"limit": limits.AUDIT_PAGE[1]}).status == 200
    assert request("GET", url, user=owner, query={"limit": limits.AUDIT_PAGE[1] + 1}).status == 400
