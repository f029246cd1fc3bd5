"""The single table's key strings are stored data: reorganising ``keys.py`` must not alter one.

Every builder's output is pinned against a literal; every public name must be listed in ``__all__``
and pinned here, so a new key cannot be added without its pinned string.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from shared.table import keys

_BIG = 1234567890123456789

#: Each builder, the arguments it is called with, and the exact strings it must return.
BUILT: dict[str, tuple[Callable[..., Any], tuple[Any, ...], object]] = {
    "audit_sk": (keys.audit_sk, (7,), "AUDIT#00000000000000000007"),
    "ban_sk": (keys.ban_sk, (8,), "BAN#00000000000000000008"),
    "channel_pk": (keys.channel_pk, (9,), "CHANNEL#9"),
    "channel_sk": (keys.channel_sk, (9,), "CHANNEL#00000000000000000009"),
    "connection_pk": (keys.connection_pk, ("c0n=",), "CONN#c0n="),
    "connection_sk": (keys.connection_sk, (), "CONN"),
    "dm_events_pk": (keys.dm_events_pk, (11,), "DMEVENTS#11"),
    "dm_pair_key": (
        keys.dm_pair_key,
        (5, 3),
        ("DMPAIR#00000000000000000003#00000000000000000005", "DMPAIR"),
    ),
    "email_claim_key": (keys.email_claim_key, ("a@b.c",), ("EMAIL#a@b.c", "EMAIL")),
    "event_sk": (keys.event_sk, (_BIG,), "EVENT#01234567890123456789"),
    "frame_window_key": (keys.frame_window_key, ("cx", 42), ("FRAMES#cx", "WINDOW#42")),
    "guild_events_pk": (keys.guild_events_pk, (12,), "GUILDEVENTS#12"),
    "guild_invites_pk": (keys.guild_invites_pk, (12,), "GUILDINVITES#12"),
    "guild_invites_sk": (keys.guild_invites_sk, ("abc",), "INVITE#abc"),
    "guild_pk": (keys.guild_pk, (12,), "GUILD#12"),
    "preview_key": (keys.preview_key, ("ab12",), ("PREVIEW#ab12", "PREVIEW")),
    "identity_key": (
        keys.identity_key,
        ("https://idp", "sub-1"),
        ("IDENTITY#https://idp#sub-1", "IDENTITY"),
    ),
    "invite_pk": (keys.invite_pk, ("abc",), "INVITE#abc"),
    "live_sessions_gsi1pk": (keys.live_sessions_gsi1pk, (3,), "LIVE#3"),
    "log_pk": (keys.log_pk, (3,), "GWLOG#3"),
    "log_sk": (keys.log_sk, (77,), "POS#0000000000000077"),
    "login_key": (keys.login_key, (4, "lg"), ("USER#4", "LOGIN#lg")),
    "media_node_pk": (keys.media_node_pk, ("n1",), "MEDIA_NODE#n1"),
    "media_node_sk": (keys.media_node_sk, ("n1",), "NODE#n1"),
    "member_sk": (keys.member_sk, (4,), "MEMBER#00000000000000000004"),
    "member_name_sk": (keys.member_name_sk, ("ann", 4), "MEMBERNAME#ann#00000000000000000004"),
    "member_name_prefix": (keys.member_name_prefix, ("an",), "MEMBERNAME#an"),
    "message_sk": (keys.message_sk, (_BIG,), "MSG#01234567890123456789"),
    "oidc_state_key": (keys.oidc_state_key, ("st",), ("OIDCSTATE#st", "STATE")),
    "presence_key": (keys.presence_key, (4,), ("USER#4", "PRESENCE")),
    "purge_pk": (keys.purge_pk, ("job",), "PURGE#job"),
    "rate_bucket_key": (keys.rate_bucket_key, ("login", "ip"), ("RATE#login#ip", "BUCKET")),
    "reaction_sk": (
        keys.reaction_sk,
        (6, "👍", 4),
        "REACT#00000000000000000006#👍#00000000000000000004",
    ),
    "reactions_of_sk_prefix": (
        keys.reactions_of_sk_prefix,
        (6,),
        "REACT#00000000000000000006#",
    ),
    "read_state_sk": (keys.read_state_sk, (9,), "READ#00000000000000000009"),
    "guild_settings_sk": (keys.guild_settings_sk, (9,), "NOTIFY#00000000000000000009"),
    "refresh_family_key": (keys.refresh_family_key, ("fam",), ("REFRESH#fam", "FAMILY")),
    "role_mention_sk": (keys.role_mention_sk, (2,), "ROLEMENTION#00000000000000000002"),
    "emoji_sk": (keys.emoji_sk, (2,), "EMOJI#00000000000000000002"),
    "role_sk": (keys.role_sk, (2,), "ROLE#00000000000000000002"),
    "session_sk": (keys.session_sk, ("s1",), "SESSION#s1"),
    "speaking_report_sk": (
        keys.speaking_report_sk,
        (9, 4),
        "SPEAKING#00000000000000000009#00000000000000000004",
    ),
    "subscription_pk": (keys.subscription_pk, ("guild:12",), "SUB#guild:12"),
    "subscription_sk": (keys.subscription_sk, (3, "s1"), "3#s1"),
    "subscription_sk_prefix": (keys.subscription_sk_prefix, (3,), "3#"),
    "upload_sk": (keys.upload_sk, (10,), "UPLOAD#00000000000000000010"),
    "user_dm_sk": (keys.user_dm_sk, (11,), "DM#00000000000000000011"),
    "user_events_pk": (keys.user_events_pk, (4,), "USEREVENTS#4"),
    "user_guilds_sk": (keys.user_guilds_sk, (12,), "GUILD#00000000000000000012"),
    "user_key": (keys.user_key, (4,), ("USER#4", "PROFILE")),
    "user_pk": (keys.user_pk, (4,), "USER#4"),
    "username_claim_key": (keys.username_claim_key, ("ann",), ("USERNAME#ann", "USERNAME")),
    "voice_room_gsi1sk": (keys.voice_room_gsi1sk, ("n1", 9), "n1#00000000000000000009"),
    "voice_room_pk": (keys.voice_room_pk, (9,), "VOICEROOM#9"),
    "voice_state_sk": (keys.voice_state_sk, (4,), "VOICE#00000000000000000004"),
}

#: Every constant, and its exact string.
CONSTANTS = {
    "AUDIT_SK_PREFIX": "AUDIT#",
    "BAN_SK_PREFIX": "BAN#",
    "CHANNEL_REF_SK": "CHANNEL",
    "CHANNEL_SK_PREFIX": "CHANNEL#",
    "CHANNEL_STATE_SK": "STATE",
    "DM_SK": "DM",
    "GUILD_GSI_PREFIX": "GUILD#",
    "GUILD_SK": "GUILD",
    "HEALTH_PK": "HEALTH",
    "INVITE_GSI_PREFIX": "INVITE#",
    "INVITE_SK": "INVITE",
    "LOGIN_SK_PREFIX": "LOGIN#",
    "LOG_CURSOR_SK": "CURSOR",
    "LOG_HEAD_SK": "HEAD",
    "LOG_POSITION_SK_PREFIX": "POS#",
    "MEDIA_NODES_PK": "MEDIA_NODES",
    "MEMBER_NAME_SK_PREFIX": "MEMBERNAME#",
    "MEMBER_SK_PREFIX": "MEMBER#",
    "MESSAGE_SK_PREFIX": "MSG#",
    "PINS_SK": "PINS",
    "PURGE_SK": "PURGE",
    "REACTION_SK_PREFIX": "REACT#",
    "READ_STATE_SK_PREFIX": "READ#",
    "GUILD_SETTINGS_SK_PREFIX": "NOTIFY#",
    "EMOJI_SK_PREFIX": "EMOJI#",
    "ROLE_SK_PREFIX": "ROLE#",
    "SESSION_SK_PREFIX": "SESSION#",
    "USER_DM_SK_PREFIX": "DM#",
    "VOICE_ROOMS_GSI1PK": "VOICEROOMS",
    "VOICE_ROOM_SK": "ROOM",
    "VOICE_SK_PREFIX": "VOICE#",
}

#: The parse helpers: a key's value read back out of it.
PARSERS = {"log_position", "log_shard", "login_of_sk", "is_log_entry"}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_each_builder_returns_the_stored_string(name: str) -> None:
    builder, args, expected = BUILT[name]
    assert builder(*args) == expected


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_each_constant_is_the_stored_string(name: str) -> None:
    assert getattr(keys, name) == CONSTANTS[name]


def test_every_public_name_is_exported_and_pinned() -> None:
    public = {
        name
        for name, value in vars(keys).items()
        if not name.startswith("_")
        and name != "annotations"
        and (inspect.isfunction(value) or isinstance(value, str))
    }
    assert public == set(keys.__all__)
    assert public == set(BUILT) | set(CONSTANTS) | PARSERS


def test_parse_helpers_read_back_what_the_builders_wrote() -> None:
    assert keys.log_shard(keys.log_pk(5)) == 5
    assert keys.log_position(keys.log_sk(123)) == 123
    assert keys.login_of_sk(keys.login_key(4, "lg-1")[1]) == "lg-1"
    assert keys.is_log_entry(keys.log_pk(0), keys.log_sk(1))
    assert not keys.is_log_entry(keys.log_pk(0), keys.LOG_HEAD_SK)
    assert not keys.is_log_entry(keys.user_pk(1), keys.log_sk(1))
