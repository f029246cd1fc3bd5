"""The one permission function, as a table of Discord's cases and as properties."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.guilds.domain.permissions import (
    ALL,
    DEFAULT_EVERYONE,
    NONE,
    Overwrite,
    OverwriteType,
    Permission,
    can_manage_role,
    compute_permissions,
    highest_position,
    outranks,
    parse_permissions,
)

P = Permission
GUILD, OWNER, USER = 100, 1, 2
MOD, MUTED = 201, 202  # role ids
ROLE, MEMBER = OverwriteType.ROLE, OverwriteType.MEMBER


def perms(
    *,
    everyone: int = int(P.VIEW_CHANNEL | P.SEND_MESSAGES),
    roles: Mapping[int, int] | None = None,
    overwrites: list[Overwrite] | None = None,
    user: int = USER,
    timed_out: bool = False,
) -> Permission:
    return compute_permissions(
        guild_id=GUILD,
        owner_id=OWNER,
        user_id=user,
        everyone=everyone,
        roles=roles or {},
        overwrites=None if overwrites is None else {o.id: o for o in overwrites},
        timed_out=timed_out,
    )


VS = int(P.VIEW_CHANNEL | P.SEND_MESSAGES)
S, V, K = int(P.SEND_MESSAGES), int(P.VIEW_CHANNEL), int(P.KICK_MEMBERS)

CASES = [
    # (name, kwargs, must have, must not have)
    ("everyone's bits are the base", {}, P.VIEW_CHANNEL | P.SEND_MESSAGES, P.KICK_MEMBERS),
    ("roles add to the base", {"roles": {MOD: K}}, P.KICK_MEMBERS, NONE),
    ("no roles, no everyone bits: nothing", {"everyone": 0}, NONE, ALL),
    ("administrator role means everything", {"roles": {MOD: int(P.ADMINISTRATOR)}}, ALL, NONE),
    ("administrator in everyone means everything", {"everyone": int(P.ADMINISTRATOR)}, ALL, NONE),
    ("the owner has everything", {"everyone": 0, "user": OWNER}, ALL, NONE),
    (
        "the owner ignores channel denies",
        {"user": OWNER, "overwrites": [Overwrite(OWNER, MEMBER, deny=VS)]},
        ALL,
        NONE,
    ),
    (
        "administrator ignores channel denies",
        {
            "roles": {MOD: int(P.ADMINISTRATOR)},
            "overwrites": [Overwrite(GUILD, ROLE, deny=VS), Overwrite(USER, MEMBER, deny=VS)],
        },
        ALL,
        NONE,
    ),
    (
        "everyone overwrite denies",
        {"overwrites": [Overwrite(GUILD, ROLE, deny=S)]},
        P.VIEW_CHANNEL,
        P.SEND_MESSAGES,
    ),
    (
        "role overwrite allow beats everyone overwrite deny",
        {
            "roles": {MOD: 0},
            "overwrites": [Overwrite(GUILD, ROLE, deny=S), Overwrite(MOD, ROLE, allow=S)],
        },
        P.SEND_MESSAGES,
        NONE,
    ),
    (
        "role allows win over other roles' denies (denies first, then allows)",
        {
            "roles": {MOD: 0, MUTED: 0},
            "overwrites": [Overwrite(MUTED, ROLE, deny=S), Overwrite(MOD, ROLE, allow=S)],
        },
        P.SEND_MESSAGES,
        NONE,
    ),
    (
        "member overwrite deny beats role overwrite allow",
        {
            "roles": {MOD: 0},
            "overwrites": [Overwrite(MOD, ROLE, allow=S), Overwrite(USER, MEMBER, deny=S)],
        },
        P.VIEW_CHANNEL,
        P.SEND_MESSAGES,
    ),
    (
        "member overwrite allow beats role overwrite deny",
        {
            "roles": {MUTED: 0},
            "overwrites": [Overwrite(MUTED, ROLE, deny=S), Overwrite(USER, MEMBER, allow=S)],
        },
        P.SEND_MESSAGES,
        NONE,
    ),
    (
        "overwrites of roles the member lacks do nothing",
        {"overwrites": [Overwrite(MOD, ROLE, allow=K)]},
        NONE,
        P.KICK_MEMBERS,
    ),
    (
        "another member's overwrite does nothing",
        {"overwrites": [Overwrite(999, MEMBER, deny=VS)]},
        P.SEND_MESSAGES,
        NONE,
    ),
    (
        "a member overwrite is not read as a role overwrite",
        {"roles": {MOD: 0}, "overwrites": [Overwrite(MOD, MEMBER, deny=S)]},
        P.SEND_MESSAGES,
        NONE,
    ),
    (
        "without VIEW_CHANNEL nothing else in the channel",
        {"roles": {MOD: K}, "overwrites": [Overwrite(GUILD, ROLE, deny=V)]},
        NONE,
        P.KICK_MEMBERS | P.SEND_MESSAGES,
    ),
    (
        "without SEND_MESSAGES, attachments and mentions go too",
        {
            "everyone": int(P.VIEW_CHANNEL | P.ATTACH_FILES | P.MENTION_EVERYONE),
            "overwrites": [],
        },
        P.VIEW_CHANNEL,
        P.ATTACH_FILES | P.MENTION_EVERYONE,
    ),
    (
        "the implicit rules are channel rules only",
        {"everyone": int(P.ATTACH_FILES)},
        P.ATTACH_FILES,
        NONE,
    ),
    (
        "a timeout keeps only viewing and history",
        {
            "everyone": int(DEFAULT_EVERYONE),
            "roles": {MOD: K},
            "timed_out": True,
        },
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        P.SEND_MESSAGES | P.SPEAK | P.KICK_MEMBERS | P.ADD_REACTIONS,
    ),
    (
        "a timeout in a channel applies after overwrites",
        {
            "everyone": int(DEFAULT_EVERYONE),
            "overwrites": [Overwrite(USER, MEMBER, allow=int(P.MANAGE_MESSAGES))],
            "timed_out": True,
        },
        P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY,
        P.MANAGE_MESSAGES | P.SEND_MESSAGES,
    ),
    (
        "a timed-out administrator keeps everything (admins cannot be timed out)",
        {"roles": {MOD: int(P.ADMINISTRATOR)}, "timed_out": True},
        ALL,
        NONE,
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "has", "lacks"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_discord_cases(kwargs: dict, has: Permission, lacks: Permission) -> None:
    result = perms(**kwargs)
    assert result & has == has
    assert not result & lacks


def test_result_is_a_permission_with_discords_values() -> None:
    assert int(P.ADMINISTRATOR) == 8
    assert int(P.VIEW_CHANNEL) == 1024
    assert int(P.MODERATE_MEMBERS) == 1 << 40
    assert isinstance(perms(), Permission)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", NONE), ("8", P.ADMINISTRATOR), (str(1 << 45 | 1024), P.VIEW_CHANNEL), (2048, P(2048))],
)
def test_parse_permissions_keeps_known_bits(text: str | int, expected: Permission) -> None:
    assert parse_permissions(text) == expected


@pytest.mark.parametrize("bad", ["", "-1", "1.5", "0x10", "\uff11", "9" * 21, -1])
def test_parse_permissions_refuses_what_is_not_a_bitfield(bad: str | int) -> None:
    with pytest.raises(ValueError, match="permissions"):
        parse_permissions(bad)


def test_overwrites_cannot_carry_administrator() -> None:
    with pytest.raises(ValueError, match="ADMINISTRATOR"):
        Overwrite(GUILD, ROLE, allow=int(P.ADMINISTRATOR))


# ---------------------------------------------------------------- hierarchy


@pytest.mark.parametrize(
    ("owner", "highest", "position", "allowed"),
    [
        (False, 5, 4, True),
        (False, 5, 5, False),  # at their own level: no
        (False, 5, 6, False),  # above: no
        (False, 0, 0, False),  # no roles: cannot even manage @everyone's position
        (True, 0, 250, True),  # the owner manages every role
    ],
)
def test_nobody_manages_a_role_at_or_above_their_highest(
    owner: bool, highest: int, position: int, allowed: bool
) -> None:
    assert (
        can_manage_role(actor_is_owner=owner, actor_highest=highest, role_position=position)
        is allowed
    )


@pytest.mark.parametrize(
    ("actor_owner", "actor", "target_owner", "target", "allowed"),
    [
        (False, 3, False, 2, True),
        (False, 3, False, 3, False),
        (False, 2, False, 3, False),
        (False, 9, True, 0, False),  # nobody outranks the owner
        (True, 0, False, 9, True),  # the owner outranks everybody
    ],
)
def test_moderation_needs_a_strictly_higher_role(
    actor_owner: bool, actor: int, target_owner: bool, target: int, allowed: bool
) -> None:
    assert (
        outranks(
            actor_is_owner=actor_owner,
            actor_highest=actor,
            target_is_owner=target_owner,
            target_highest=target,
        )
        is allowed
    )


def test_highest_position_of_no_roles_is_everyones() -> None:
    assert highest_position([]) == 0
    assert highest_position([3, 7, 1]) == 7


# ---------------------------------------------------------------- properties

ALL_INT = int(ALL)
NO_ADMIN = ALL_INT & ~int(P.ADMINISTRATOR)
bits = st.integers(min_value=0, max_value=ALL_INT).map(lambda b: b & NO_ADMIN)
any_bits = st.integers(min_value=0, max_value=ALL_INT)
role_ids = st.integers(min_value=200, max_value=220)
user_ids = st.integers(min_value=2, max_value=6)


@st.composite
def overwrites(draw: st.DrawFn) -> dict[int, Overwrite]:
    targets = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just(GUILD), st.just(ROLE)),
                st.tuples(role_ids, st.sampled_from(list(OverwriteType))),
                st.tuples(user_ids, st.sampled_from(list(OverwriteType))),
            ),
            max_size=12,
            unique_by=lambda t: t[0],
        )
    )
    return {i: Overwrite(i, kind, draw(bits), draw(bits)) for i, kind in targets}


@settings(max_examples=400, deadline=None)
@given(
    everyone=bits,
    roles=st.dictionaries(role_ids, bits, max_size=8),
    ows=st.one_of(st.none(), overwrites()),
    user=user_ids,
    timed_out=st.booleans(),
)
def test_never_grants_what_no_role_or_overwrite_gave(
    everyone: int,
    roles: dict[int, int],
    ows: dict[int, Overwrite] | None,
    user: int,
    timed_out: bool,
) -> None:
    result = compute_permissions(
        guild_id=GUILD,
        owner_id=OWNER,
        user_id=user,
        everyone=everyone,
        roles=roles,
        overwrites=ows,
        timed_out=timed_out,
    )
    granted = everyone
    for role_bits in roles.values():
        granted |= role_bits
    for overwrite in (ows or {}).values():
        granted |= overwrite.allow
    assert int(result) & ~granted == 0
    assert not result & P.ADMINISTRATOR
    if timed_out:
        assert int(result) & ~int(P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY) == 0


@settings(max_examples=200, deadline=None)
@given(everyone=any_bits, roles=st.dictionaries(role_ids, any_bits, max_size=8), ows=overwrites())
def test_owner_and_administrator_bypass_everything(
    everyone: int, roles: dict[int, int], ows: dict[int, Overwrite]
) -> None:
    owner = compute_permissions(
        guild_id=GUILD, owner_id=OWNER, user_id=OWNER, everyone=everyone, roles=roles,
        overwrites=ows, timed_out=True,
    )  # fmt: skip
    assert owner == ALL
    admin_roles = {**roles, 299: int(P.ADMINISTRATOR)}
    admin = compute_permissions(
        guild_id=GUILD, owner_id=OWNER, user_id=USER, everyone=everyone, roles=admin_roles,
        overwrites=ows,
    )  # fmt: skip
    assert admin == ALL


@settings(max_examples=200, deadline=None)
@given(
    everyone=bits,
    roles=st.dictionaries(role_ids, bits, max_size=8),
    ows=overwrites(),
    denied=st.sampled_from([p for p in P if p is not P.ADMINISTRATOR]),
)
def test_a_members_own_deny_always_holds_for_non_administrators(
    everyone: int, roles: dict[int, int], ows: dict[int, Overwrite], denied: Permission
) -> None:
    ows = {**ows, USER: Overwrite(USER, MEMBER, allow=0, deny=int(denied))}
    result = compute_permissions(
        guild_id=GUILD, owner_id=OWNER, user_id=USER, everyone=everyone, roles=roles,
        overwrites=ows,
    )  # fmt: skip
    assert not result & denied
