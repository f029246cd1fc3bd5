"""Where a permission stops: nobody hands out what they do not hold (roles, overwrites), nobody
acts on a role at or above their own, replies do not reveal history to those who may not read
it, and messages go only to text channels."""

from __future__ import annotations

from typing import Any

import pytest

from shared.guilds.domain.permissions import Permission
from tests.functional.apigw import Reply, request
from tests.functional.guildkit import (
    create_guild,
    give_role,
    join,
    make_role,
    member_with,
    new_user,
    text_channel,
)

pytestmark = pytest.mark.usefixtures("store")
P = Permission


def _role_url(guild: dict[str, Any], user: int, role: str) -> str:
    return f"/guilds/{guild['id']}/members/{user}/roles/{role}"


# ---------------------------------------------------------------- role assignment


def test_manage_roles_cannot_assign_a_role_carrying_permissions_the_assigner_lacks() -> None:
    owner = new_user()
    guild = create_guild(owner)
    manager = member_with(guild, P.MANAGE_ROLES, position=5)
    admin_role = make_role(guild, P.ADMINISTRATOR, position=1, name="admin")
    reply = request("PUT", _role_url(guild, manager, admin_role), user=manager)
    assert reply.status == 403, reply
    assert reply.body["code"] == "missing_permissions"
    # still not an administrator: cannot do what only an administrator could
    assert request("DELETE", f"/guilds/{guild['id']}", user=manager).status in (403, 404)
    kick_role = make_role(guild, P.KICK_MEMBERS, position=1, name="kick")
    other = new_user()
    join(guild, other)
    assert request("PUT", _role_url(guild, other, kick_role), user=manager).status == 403
    # a role of nothing beyond what the manager holds: allowed
    plain = make_role(guild, P.MANAGE_ROLES, position=1, name="plain")
    assert request("PUT", _role_url(guild, other, plain), user=manager).status == 204


def test_manage_roles_cannot_remove_a_role_carrying_permissions_the_remover_lacks() -> None:
    owner = new_user()
    guild = create_guild(owner)
    manager = member_with(guild, P.MANAGE_ROLES, position=5)
    other = new_user()
    join(guild, other)
    kick_role = make_role(guild, P.KICK_MEMBERS, position=1, name="kick")
    give_role(guild, other, kick_role)
    reply = request("DELETE", _role_url(guild, other, kick_role), user=manager)
    assert reply.status == 403, reply
    assert reply.body["code"] == "missing_permissions"


def test_owner_and_administrators_assign_any_role_below_theirs() -> None:
    owner = new_user()
    guild = create_guild(owner)
    admin = member_with(guild, P.ADMINISTRATOR, position=5)
    other = new_user()
    join(guild, other)
    kick_role = make_role(guild, P.KICK_MEMBERS | P.BAN_MEMBERS, position=1, name="mods")
    assert request("PUT", _role_url(guild, other, kick_role), user=admin).status == 204
    above = make_role(guild, P.KICK_MEMBERS, position=6, name="above")
    reply = request("PUT", _role_url(guild, other, above), user=admin)
    assert reply.status == 403
    assert reply.body["code"] == "role_hierarchy"
    assert request("PUT", _role_url(guild, other, above), user=owner).status == 204


# ---------------------------------------------------------------- channel overwrites


def _overwrite_url(channel: str, target: str | int) -> str:
    return f"/channels/{channel}/permissions/{target}"


def _put(channel: str, target: str | int, user: int, body: dict[str, Any]) -> Reply:
    return request("PUT", _overwrite_url(channel, target), user=user, body=body)


def test_an_overwrite_for_a_role_at_or_above_the_callers_is_refused() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    manager = member_with(guild, P.MANAGE_ROLES | P.VIEW_CHANNEL, position=3)
    same = make_role(guild, 0, position=3, name="same")
    above = make_role(guild, 0, position=4, name="above")
    below = make_role(guild, 0, position=2, name="below")
    deny_view = {"type": 0, "deny": str(int(P.VIEW_CHANNEL))}
    for role in (same, above):
        reply = _put(channel, role, manager, deny_view)
        assert reply.status == 403, reply
        assert reply.body["code"] == "role_hierarchy"
    assert _put(channel, below, manager, deny_view).status == 204
    # the owner sets one on the role above; the manager may not delete it either
    assert _put(channel, above, owner, deny_view).status == 204
    reply = request("DELETE", _overwrite_url(channel, above), user=manager)
    assert reply.status == 403
    assert reply.body["code"] == "role_hierarchy"
    # @everyone's overwrite stays editable by those who manage roles
    everyone = {"type": 0, "allow": str(int(P.VIEW_CHANNEL))}
    assert _put(channel, guild["id"], manager, everyone).status == 204


def test_a_member_overwrite_for_someone_who_outranks_the_caller_is_refused() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    manager = member_with(guild, P.MANAGE_ROLES | P.VIEW_CHANNEL, position=2)
    senior = member_with(guild, P.VIEW_CHANNEL, position=3)
    deny_send = {"type": 1, "deny": str(int(P.SEND_MESSAGES))}
    reply = _put(channel, senior, manager, deny_send)
    assert reply.status == 403
    assert reply.body["code"] == "role_hierarchy"
    reply = _put(channel, owner, manager, deny_send)
    assert reply.status == 403
    junior = member_with(guild, P.VIEW_CHANNEL, position=1)
    assert _put(channel, junior, manager, deny_send).status == 204


def test_an_overwrite_cannot_take_away_bits_the_caller_lacks() -> None:
    """Removing (or deleting) someone else's overwrite of bits the caller does not hold is
    handing those bits out too: a deny of KICK_MEMBERS lifted is KICK_MEMBERS regained."""
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    manager = member_with(guild, P.MANAGE_ROLES | P.VIEW_CHANNEL, position=3)
    below = make_role(guild, 0, position=1, name="below")
    deny_manage = {"type": 0, "deny": str(int(P.MANAGE_CHANNELS))}
    assert _put(channel, below, owner, deny_manage).status == 204
    cleared = {"type": 0, "allow": "0", "deny": "0"}
    reply = _put(channel, below, manager, cleared)
    assert reply.status == 403
    assert reply.body["code"] == "missing_permissions"
    reply = request("DELETE", _overwrite_url(channel, below), user=manager)
    assert reply.status == 403
    assert reply.body["code"] == "missing_permissions"


def test_a_new_channels_overwrites_follow_the_hierarchy_too() -> None:
    owner = new_user()
    guild = create_guild(owner)
    manager = member_with(guild, P.MANAGE_ROLES | P.MANAGE_CHANNELS | P.VIEW_CHANNEL, position=2)
    above = make_role(guild, 0, position=3, name="above")
    body = {
        "name": "private",
        "type": 0,
        "permission_overwrites": [{"id": above, "type": 0, "deny": str(int(P.VIEW_CHANNEL))}],
    }
    reply = request("POST", f"/guilds/{guild['id']}/channels", user=manager, body=body)
    assert reply.status == 403, reply
    assert reply.body["code"] == "role_hierarchy"


# ---------------------------------------------------------------- replies and history


def _no_history(guild: dict[str, Any], channel: str) -> int:
    """A member who may send but not read the history of ``channel``."""
    owner = int(guild["owner_id"])
    user = new_user()
    join(guild, user)
    deny = {"type": 1, "deny": str(int(P.READ_MESSAGE_HISTORY))}
    assert _put(channel, user, owner, deny).status == 204
    return user


def test_a_reply_needs_read_message_history_and_reveals_nothing_without_it() -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = text_channel(guild)
    secret = request(
        "POST", f"/channels/{channel}/messages", user=owner, body={"content": "the secret"}
    )
    assert secret.status == 201
    blind = _no_history(guild, channel)
    assert request("GET", f"/channels/{channel}/messages", user=blind).status == 403
    body = {"content": "what did it say?", "reply_to": secret.body["id"]}
    reply = request("POST", f"/channels/{channel}/messages", user=blind, body=body)
    assert reply.status == 403, reply
    assert reply.body["code"] == "missing_permissions"
    assert "the secret" not in str(reply.body)
    # an unknown message is no different to them: its existence is not revealed either
    body = {"content": "and this?", "reply_to": str(int(secret.body["id"]) + 1)}
    assert request("POST", f"/channels/{channel}/messages", user=blind, body=body).status == 403
    # a plain message still goes through
    plain = request("POST", f"/channels/{channel}/messages", user=blind, body={"content": "hi"})
    assert plain.status == 201
    # whoever may read history gets the reply with the message it answers
    reader = new_user()
    join(guild, reader)
    body = {"content": "it said", "reply_to": secret.body["id"]}
    answered = request("POST", f"/channels/{channel}/messages", user=reader, body=body)
    assert answered.status == 201
    assert answered.body["referenced_message"]["content"] == "the secret"


# ---------------------------------------------------------------- channel kinds


def _channel_of_type(guild: dict[str, Any], kind: int) -> str:
    if kind == 2:
        return next(c["id"] for c in guild["channels"] if c["type"] == 2)
    owner = int(guild["owner_id"])
    made = request(
        "POST", f"/guilds/{guild['id']}/channels", user=owner, body={"name": "cat", "type": kind}
    )
    assert made.status == 201, made
    return str(made.body["id"])


@pytest.mark.parametrize("kind", [2, 4], ids=["voice", "category"])
def test_messages_reactions_pins_and_typing_need_a_text_channel(kind: int) -> None:
    owner = new_user()
    guild = create_guild(owner)
    channel = _channel_of_type(guild, kind)
    base = f"/channels/{channel}"
    attempts = [
        ("POST", f"{base}/messages", {"content": "hello"}),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/typing", None),
        ("PUT", f"{base}/messages/1/reactions/%F0%9F%91%8D/@me", None),
        ("PUT", f"{base}/pins/1", None),
    ]
    for method, path, body in attempts:
        reply = request(method, path, user=owner, body=body)
        assert reply.status == 400, (method, path, reply)
        assert reply.body["code"] == "non_text_channel", reply
        assert reply.body["message"] == "Cannot send messages in a non-text channel."


def test_a_category_cannot_be_invited_to() -> None:
    owner = new_user()
    guild = create_guild(owner)
    category = _channel_of_type(guild, 4)
    reply = request("POST", f"/channels/{category}/invites", user=owner, body={})
    assert reply.status == 400, reply
    assert reply.body["code"] == "invalid_channel_type"
    voice = _channel_of_type(guild, 2)
    assert request("POST", f"/channels/{voice}/invites", user=owner, body={}).status == 201


def test_a_non_text_channel_hidden_from_a_member_stays_a_403_for_them() -> None:
    """The channel's kind is not revealed to those who may not see it."""
    owner = new_user()
    guild = create_guild(owner)
    category = _channel_of_type(guild, 4)
    hide = {"type": 0, "deny": str(int(P.VIEW_CHANNEL))}
    assert _put(category, guild["id"], owner, hide).status == 204
    member = new_user()
    join(guild, member)
    reply = request("POST", f"/channels/{category}/messages", user=member, body={"content": "x"})
    assert reply.status == 403
