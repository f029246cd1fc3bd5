"""Users and the items that keep usernames, emails and OpenID identities unique.

A user is written together with its username and email claims in one transaction, each put
conditioned on ``attribute_not_exists``: two registrations racing for one name cannot both win,
and a failed registration leaves nothing behind. Claims are keyed by the case-folded value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.auth.domain.users import User, fold
from shared.errors import Conflict, Unavailable
from shared.outbox.domain.events import GatewayEvent
from shared.outbox.storage import outbox
from shared.table.keys import email_claim_key, identity_key, user_key, username_claim_key
from shared.table.schema import ParleyItem

__all__ = [
    "UserRecord",
    "create_user",
    "find_user_id",
    "get_user",
    "link_identity",
    "rename_user",
    "set_password_hash",
    "update_global_name",
]


class UserItem(ParleyItem):
    user_id = NumberAttribute(attr_name="user_id")
    username = UnicodeAttribute(attr_name="username")
    email = UnicodeAttribute(attr_name="email")
    global_name = UnicodeAttribute(null=True, attr_name="global_name")
    password_hash = UnicodeAttribute(null=True, attr_name="password_hash")
    email_verified = BooleanAttribute(default=False, attr_name="email_verified")
    created_at = UnicodeAttribute(attr_name="created_at")
    # Absent on users stored before the setting existed: they allow (its default).
    allow_dms_from_guild_members = BooleanAttribute(null=True, attr_name="allow_guild_dms")


class ClaimItem(ParleyItem):
    """Reserves a unique value (username, email, OpenID identity) for one user."""

    user_id = NumberAttribute(attr_name="user_id")


class UserRecord:
    """A user and their password hash (which never leaves the auth service)."""

    def __init__(self, user: User, password_hash: str | None) -> None:
        self.user = user
        self.password_hash = password_hash


def _connection() -> Connection:
    """The table's one connection (a new ``Connection`` would build a botocore client each time)."""
    return UserItem._get_connection().connection


def _to_record(item: UserItem) -> UserRecord:
    user = User(
        id=int(item.user_id),
        username=item.username,
        email=item.email,
        global_name=item.global_name,
        email_verified=bool(item.email_verified),
        created_at=datetime.fromisoformat(item.created_at),
        has_password=item.password_hash is not None,
        allow_dms_from_guild_members=item.allow_dms_from_guild_members is not False,
    )
    return UserRecord(user, item.password_hash)


def _user_item(user: User, password_hash: str | None) -> UserItem:
    pk, sk = user_key(user.id)
    return UserItem(
        pk=pk,
        sk=sk,
        user_id=user.id,
        username=user.username,
        email=user.email,
        global_name=user.global_name,
        password_hash=password_hash,
        email_verified=user.email_verified,
        created_at=user.created_at.astimezone(UTC).isoformat(),
        allow_dms_from_guild_members=user.allow_dms_from_guild_members,
    )


def _claim(key: tuple[str, str], user_id: int) -> ClaimItem:
    return ClaimItem(pk=key[0], sk=key[1], user_id=user_id)


def _conflict_from(exc: TransactWriteError, fields: list[str | None]) -> Conflict | None:
    """The Conflict a cancelled transaction means: the first claim whose condition failed."""
    for reason, name in zip(exc.cancellation_reasons, fields, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed" and name:
            return Conflict(
                f"That {name} is already taken.",
                code=f"{name}_taken",
                errors={name: "already taken"},
            )
    return None


def create_user(
    user: User, password_hash: str | None, identity: tuple[str, str] | None = None
) -> None:
    """Store a new user with its claims in one transaction; :class:`Conflict` when one is taken."""
    item = _user_item(user, password_hash)
    fields: list[str | None] = [None, "username", "email"]
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.save(item, condition=UserItem.pk.does_not_exist())
            tx.save(
                _claim(username_claim_key(fold(user.username)), user.id),
                condition=ClaimItem.pk.does_not_exist(),
            )
            tx.save(
                _claim(email_claim_key(fold(user.email)), user.id),
                condition=ClaimItem.pk.does_not_exist(),
            )
            if identity is not None:
                fields.append("identity")
                tx.save(
                    _claim(identity_key(*identity), user.id),
                    condition=ClaimItem.pk.does_not_exist(),
                )
    except TransactWriteError as exc:
        conflict = _conflict_from(exc, fields)
        if conflict is not None:
            raise conflict from exc
        raise Unavailable("The store did not take the new account.") from exc


def get_user(user_id: int) -> UserRecord | None:
    try:
        return _to_record(UserItem.get(*user_key(user_id)))
    except UserItem.DoesNotExist:
        return None
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def _claim_owner(key: tuple[str, str]) -> int | None:
    try:
        return int(ClaimItem.get(*key).user_id)
    except ClaimItem.DoesNotExist:
        return None
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def find_user_id(*, username: str | None = None, email: str | None = None) -> int | None:
    """The user holding a username or an email address (case-insensitively), if any."""
    if username is not None:
        return _claim_owner(username_claim_key(fold(username)))
    if email is not None:
        return _claim_owner(email_claim_key(fold(email)))
    return None


def find_identity(issuer: str, subject: str) -> int | None:
    """The user an OpenID identity is linked to, if any."""
    return _claim_owner(identity_key(issuer, subject))


def link_identity(user_id: int, issuer: str, subject: str) -> None:
    """Link an OpenID identity to an existing user (once: a second link is a Conflict)."""
    try:
        _claim(identity_key(issuer, subject), user_id).save(condition=ClaimItem.pk.does_not_exist())
    except PynamoDBException as exc:
        if "ConditionalCheckFailed" in str(getattr(exc, "cause_response_code", "")):
            raise Conflict("That identity is already linked.", code="identity_taken") from exc
        raise Unavailable("The store cannot be reached.") from exc


def rename_user(record: UserRecord, new_username: str, event: GatewayEvent) -> None:
    """Move a user to a new username: release the old claim, take the new one, in one step.

    ``event`` (USER_UPDATE) is emitted in the same transaction.
    """
    user = record.user
    old_key = username_claim_key(fold(user.username))
    new_key = username_claim_key(fold(new_username))
    pk, sk = user_key(user.id)
    try:
        with TransactWrite(connection=_connection()) as tx:
            if old_key != new_key:
                tx.delete(_claim(old_key, user.id), condition=ClaimItem.user_id == user.id)
                tx.save(_claim(new_key, user.id), condition=ClaimItem.pk.does_not_exist())
            tx.update(
                UserItem(pk=pk, sk=sk),
                actions=[UserItem.username.set(new_username)],
                condition=UserItem.username == user.username,
            )
            tx.save(outbox.record_of(event, datetime.now(UTC)))
    except TransactWriteError as exc:
        fields: list[str | None] = [None, "username", None] if old_key != new_key else [None]
        conflict = _conflict_from(exc, fields)
        if conflict is not None:
            raise conflict from exc
        raise Conflict("The profile changed meanwhile; try again.", code="conflict") from exc


def update_global_name(user_id: int, global_name: str | None, event: GatewayEvent) -> None:
    """Set (or clear) the display name; ``event`` (USER_UPDATE) is emitted with it."""
    action = (
        UserItem.global_name.set(global_name)
        if global_name is not None
        else UserItem.global_name.remove()
    )
    _update(user_id, action, event)


def set_allow_dms_from_guild_members(user_id: int, allow: bool, event: GatewayEvent) -> None:
    """Set who may open a DM with the user; ``event`` (USER_UPDATE) is emitted with it."""
    _update(user_id, UserItem.allow_dms_from_guild_members.set(allow), event)


def _update(user_id: int, action: Action, event: GatewayEvent) -> None:
    """One change of an existing user's item, with its event, in one transaction."""
    pk, sk = user_key(user_id)
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(UserItem(pk=pk, sk=sk), actions=[action], condition=UserItem.pk.exists())
            tx.save(outbox.record_of(event, datetime.now(UTC)))
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def set_password_hash(user_id: int, password_hash: str) -> None:
    """Replace a user's password hash."""
    pk, sk = user_key(user_id)
    try:
        UserItem(pk=pk, sk=sk).update(
            actions=[UserItem.password_hash.set(password_hash)], condition=UserItem.pk.exists()
        )
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc
