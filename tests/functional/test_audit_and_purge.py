"""The stream consumer: the audit log from outbox events, and purges in bounded rounds."""

from __future__ import annotations

from typing import Any

import pytest

from shared.guilds.domain.permissions import Permission
from shared.guilds.storage import purge
from shared.table.keys import channel_pk
from tests.functional.apigw import LambdaContext, handler_for, request
from tests.functional.guildkit import (
    StreamTap,
    create_guild,
    join,
    make_role,
    member_with,
    new_user,
    seed_members,
    table,
    text_channel,
)

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def everything() -> list[dict[str, Any]]:
    """Test-only: every item of the table (a test may scan; a request path never does)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = table().scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_the_audit_log_records_who_what_before_after_and_why() -> None:
    tap = StreamTap()
    owner = new_user()
    guild = create_guild(owner)
    gid = guild["id"]
    auditor = member_with(guild, P.VIEW_AUDIT_LOG)
    victim = new_user()
    join(guild, victim)
    request(
        "PATCH",
        f"/guilds/{gid}",
        user=owner,
        body={"name": "New name"},
        headers={"X-Audit-Log-Reason": "rebrand%20%F0%9F%8E%89"},
    )
    request("PUT", f"/guilds/{gid}/bans/{victim}", user=owner, body={"reason": "spam"})
    delivered = tap.pump()
    log = request("GET", f"/guilds/{gid}/audit-log", user=auditor)
    assert log.status == 200
    entries = log.body["audit_log_entries"]
    actions = [e["action_type"] for e in entries]
    # newest first: the ban, the rename, then the set-up (role made and given, invites)
    assert actions[:2] == [22, 1]
    ban, rename = entries[0], entries[1]
    assert ban["user_id"] == str(owner)
    assert ban["target_id"] == str(victim)
    assert ban["reason"] == "spam"
    assert rename["reason"] == "rebrand 🎉"
    assert rename["changes"] == [
        {"key": "name", "old_value": "Test guild", "new_value": "New name"}
    ]
    assert 30 in actions  # ROLE_CREATE (made by member_with)
    assert 40 in actions  # INVITE_CREATE
    # a redelivered batch (at-least-once delivery) writes nothing twice
    redelivered = handler_for("GuildStreamFunction")({"Records": delivered}, LambdaContext())
    assert redelivered == {"batchItemFailures": []}
    again = request("GET", f"/guilds/{gid}/audit-log", user=auditor).body["audit_log_entries"]
    assert again == entries
    # paging back
    older = request(
        "GET", f"/guilds/{gid}/audit-log", user=auditor, query={"before": ban["id"], "limit": 1}
    ).body["audit_log_entries"]
    assert older == [rename]


def test_the_audit_log_needs_view_audit_log() -> None:
    owner = new_user()
    guild = create_guild(owner)
    user = new_user()
    join(guild, user)
    assert request("GET", f"/guilds/{guild['id']}/audit-log", user=user).status == 403
    assert request("GET", f"/guilds/{guild['id']}/audit-log", user=new_user()).status == 404
    reply = request("GET", f"/guilds/{guild['id']}/audit-log", user=owner, query={"limit": 101})
    assert reply.status == 400


def test_deleting_a_guild_purges_everything_under_it_in_bounded_rounds() -> None:
    tap = StreamTap()
    owner = new_user()
    guild = create_guild(owner)
    gid = guild["id"]
    keep = create_guild(owner, "Unrelated")
    make_role(guild, P.KICK_MEMBERS)
    request("POST", f"/guilds/{gid}/channels", user=owner, body={"name": "extra"})
    user = new_user()
    join(guild, user)
    request("PUT", f"/guilds/{gid}/bans/{new_user()}", user=owner)
    seed_members(guild, 2 * purge.BATCH + 30)
    channel = text_channel(guild)
    table().put_item(Item={"PK": channel_pk(int(channel)), "SK": "MSG#1", "type": "message"})
    tap.pump()
    assert request("DELETE", f"/guilds/{gid}", user=owner).status == 204
    delivered = tap.pump()
    rounds = [r for r in delivered if r["dynamodb"]["Keys"]["PK"]["S"].startswith("PURGE#")]
    assert len(rounds) >= 4  # 300+ items, at most 100 a round
    left = everything()
    kinds = {item.get("type") for item in left if str(gid) in str(item.get("PK"))}
    assert kinds == {"event"}  # only the outbox, which expires by TTL within a day
    assert not [i for i in left if i["PK"].startswith(("PURGE#", "INVITE#"))]
    assert not [i for i in left if i["PK"] in {channel_pk(int(c["id"])) for c in guild["channels"]}]
    # the other guild is untouched
    assert request("GET", f"/guilds/{keep['id']}", user=owner).status == 200
    assert [g["id"] for g in request("GET", "/users/@me/guilds", user=owner).body] == [keep["id"]]


def test_deleting_a_channel_purges_its_own_partition() -> None:
    tap = StreamTap()
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    for i in range(150):
        table().put_item(
            Item={"PK": channel_pk(int(channel)), "SK": f"MSG#{i:05d}", "type": "message"}
        )
    assert request("DELETE", f"/channels/{channel}", user=owner).status == 200
    tap.pump()
    assert not [i for i in everything() if i["PK"] == channel_pk(int(channel))]
    assert request("GET", f"/guilds/{guild['id']}", user=owner).status == 200
