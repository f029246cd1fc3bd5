"""The member search under moto: ``GET /guilds/{id}/members/search`` finds members by the
start of their username, display name or nick (case-folded), through the guild's name index,
which follows joins, leaves, kicks, bans, nick changes and profile renames."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key
from botocore.client import BaseClient

from shared.auth.domain.users import User
from shared.auth.storage.users import create_user
from shared.ids import new_id
from tests.functional.apigw import Reply, request
from tests.functional.guildkit import create_guild, join, table


def person(username: str, global_name: str | None = None) -> int:
    """An account named ``username`` (made unique) with an optional display name; the
    display name is set through ``PATCH /users/@me`` as a user would."""
    user_id = new_id()
    name = f"{username}{user_id % 10**6}"
    create_user(User(user_id, name, f"{name}@example.com", datetime.now(UTC)), None)
    if global_name is not None:
        reply = request("PATCH", "/users/@me", user=user_id, body={"global_name": global_name})
        assert reply.status == 200, reply
    return user_id


def search(guild: dict[str, Any], user: int, query: str, limit: int | None = None) -> Reply:
    params: dict[str, Any] = {"query": query}
    if limit is not None:
        params["limit"] = limit
    return request("GET", f"/guilds/{guild['id']}/members/search", user=user, query=params)


def found(guild: dict[str, Any], user: int, query: str, limit: int | None = None) -> list[int]:
    reply = search(guild, user, query, limit)
    assert reply.status == 200, reply
    return [int(m["user"]["id"]) for m in reply.body]


def indexed_names(guild: dict[str, Any], user: int) -> set[str]:
    """The names the guild's name index holds for ``user`` (read straight from the table)."""
    items = table().query(
        KeyConditionExpression=Key("PK").eq(f"GUILD#{guild['id']}")
        & Key("SK").begins_with("MEMBERNAME#")
    )["Items"]
    return {str(i["name"]) for i in items if int(i["user_id"]) == user}


@pytest.fixture
def owner(table: str) -> int:
    return person("owner")


def test_a_username_prefix_finds_the_member_in_the_members_shape(owner: int) -> None:
    guild = create_guild(owner)
    zed = person("zedekiah")
    join(guild, zed)
    reply = search(guild, owner, "zede")
    assert reply.status == 200, reply
    assert [m["user"]["id"] for m in reply.body] == [str(zed)]
    member = reply.body[0]
    assert member["user"]["username"].startswith("zedekiah")
    assert set(member) >= {"user", "nick", "roles", "joined_at", "communication_disabled_until"}
    listed = request("GET", f"/guilds/{guild['id']}/members", user=owner, query={"limit": 10})
    assert set(member) == set(listed.body[0])
    assert found(guild, owner, "zedx") == []


def test_a_display_name_prefix_finds_the_member_and_case_does_not_matter(owner: int) -> None:
    guild = create_guild(owner)
    gal = person("gal", global_name="Ångström Fan")
    join(guild, gal)
    assert found(guild, owner, "ÅNGS") == [gal]
    assert found(guild, owner, "ångström f") == [gal]
    assert found(guild, owner, "GAL") == [gal]  # the username still finds them


def test_case_folding_is_unicode_s_not_only_lower_case(owner: int) -> None:
    guild = create_guild(owner)
    street = person("street", global_name="Straße")
    join(guild, street)
    assert found(guild, owner, "STRASSE") == [street]
    assert found(guild, owner, "strass") == [street]


def test_a_nick_is_found_and_a_changed_nick_no_longer_under_the_old_one(owner: int) -> None:
    guild = create_guild(owner)
    nicked = person("plain")
    join(guild, nicked)
    path = f"/guilds/{guild['id']}/members/{nicked}"
    assert request("PATCH", path, user=owner, body={"nick": "Quokka"}).status == 200
    assert found(guild, owner, "quok") == [nicked]
    assert request("PATCH", path, user=owner, body={"nick": "Wombat"}).status == 200
    assert found(guild, owner, "quok") == []
    assert found(guild, owner, "WOMB") == [nicked]
    assert request("PATCH", path, user=owner, body={"nick": None}).status == 200
    assert found(guild, owner, "womb") == []


def test_a_member_matching_on_two_names_appears_once_and_order_is_by_name(owner: int) -> None:
    guild = create_guild(owner)
    both = person("marble", global_name="Marbles")
    second = person("marbly")
    join(guild, both)
    join(guild, second)
    assert found(guild, owner, "marb") == [both, second]  # "marble…" < "marbly…"


def test_the_limit_edges(owner: int) -> None:
    guild = create_guild(owner)
    people = [person("many") for _ in range(3)]
    for p in people:
        join(guild, p)
    assert len(found(guild, owner, "many", limit=1)) == 1
    assert sorted(found(guild, owner, "many", limit=100)) == sorted(people)
    assert len(found(guild, owner, "many")) == 3  # the default, 10, holds them all
    for bad in (0, 101):
        refused = search(guild, owner, "many", limit=bad)
        assert refused.status == 400, refused
        assert refused.body["code"] == "invalid"
        assert "limit" in str(refused.body["errors"])


def test_the_default_limit_is_ten(owner: int) -> None:
    guild = create_guild(owner)
    for _ in range(11):
        join(guild, person("crowd"))
    assert len(found(guild, owner, "crowd")) == 10
    assert len(found(guild, owner, "crowd", limit=11)) == 11


def test_a_query_is_required_and_at_most_a_name_long(owner: int) -> None:
    guild = create_guild(owner)
    path = f"/guilds/{guild['id']}/members/search"
    for query in ({}, {"query": ""}, {"query": "x" * 33}, {"query": "   "}):
        refused = request("GET", path, user=owner, query=query)
        assert refused.status == 400, (query, refused)
        assert refused.body["code"] in {"invalid", "invalid_query"}
        assert refused.body["message"]
    assert search(guild, owner, "x" * 32).status == 200


def test_a_non_member_gets_404(owner: int) -> None:
    guild = create_guild(owner)
    outsider = person("outsider")
    refused = search(guild, outsider, "own")
    assert refused.status == 404, refused
    assert refused.body["code"] == "unknown_guild"


@pytest.mark.parametrize("how", ["leave", "kick", "ban"])
def test_a_member_who_left_or_was_removed_is_no_longer_found(owner: int, how: str) -> None:
    guild = create_guild(owner)
    gone = person("gonzo", global_name="Gonzalo")
    join(guild, gone)
    assert found(guild, owner, "gonz") == [gone]
    assert len(indexed_names(guild, gone)) == 2
    if how == "leave":
        reply = request("DELETE", f"/users/@me/guilds/{guild['id']}", user=gone)
    elif how == "kick":
        reply = request("DELETE", f"/guilds/{guild['id']}/members/{gone}", user=owner)
    else:
        reply = request("PUT", f"/guilds/{guild['id']}/bans/{gone}", user=owner, body={})
    assert reply.status == 204, reply
    assert found(guild, owner, "gonz") == []
    assert indexed_names(guild, gone) == set()  # the entries went with the member


def test_a_renamed_user_is_found_under_the_new_names_only(owner: int) -> None:
    guild = create_guild(owner)
    other = create_guild(owner, name="Other")
    renamed = person("before", global_name="Oldname")
    join(guild, renamed)
    join(other, renamed)
    new_username = f"after{renamed % 10**6}"
    body = {"username": new_username, "global_name": "Newname"}
    assert request("PATCH", "/users/@me", user=renamed, body=body).status == 200
    for g in (guild, other):
        assert found(g, owner, "before") == []
        assert found(g, owner, "oldn") == []
        assert found(g, owner, "after") == [renamed]
        assert found(g, owner, "newn") == [renamed]
    member = search(guild, owner, "newn").body[0]
    assert member["user"]["username"] == new_username
    assert member["user"]["global_name"] == "Newname"


def test_a_hash_in_the_query_does_not_match_into_the_key(owner: int) -> None:
    guild = create_guild(owner)
    join(guild, person("hashy"))
    name = search(guild, owner, "hashy").body[0]["user"]["username"]
    assert found(guild, owner, f"{name}#0") == []


@pytest.fixture
def store_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The DynamoDB operations made while the test runs, with their parameters."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = vars(BaseClient)["_make_api_call"]

    def spy(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    return calls


def test_the_search_queries_the_name_index_and_never_scans(
    owner: int, store_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    guild = create_guild(owner)
    for _ in range(5):
        join(guild, person("scanless"))
    store_calls.clear()
    assert len(found(guild, owner, "scanl", limit=2)) == 2
    operations = [op for op, _ in store_calls]
    assert "Scan" not in operations
    queries = [params for op, params in store_calls if op == "Query"]
    by_name = [q for q in queries if "MEMBERNAME#scanl" in str(q["ExpressionAttributeValues"])]
    assert len(by_name) == 1  # the name index, bounded: 3 entries per member asked for
    assert "begins_with" in by_name[0]["KeyConditionExpression"]
    assert by_name[0]["Limit"] == 6
    assert len(queries) == 2  # and the guild's roles; never the member list
