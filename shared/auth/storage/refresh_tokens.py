"""Refresh token families and the logins they are.

A family item (keyed by the family) holds the digest of its current token. Rotation is one
conditional update (the presented digest must be the current one, the family neither revoked nor
expired), so two clients racing with the same token cannot both rotate it: the loser sees a
digest that is no longer current, which is exactly what reuse looks like.

Each family is also a *login* of its user: an item under the user (``LOGIN#<login id>``, the
public id access tokens carry as ``sid``) that says whether it is live, so that the gateway can
refuse the access tokens of an ended login, and ending every login of a user is one Query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError

from shared.errors import Unavailable
from shared.table.keys import (
    LOGIN_SK_PREFIX,
    login_key,
    login_of_sk,
    refresh_family_key,
    user_pk,
)
from shared.table.schema import ParleyItem, transaction

__all__ = [
    "Rotation",
    "RotationOutcome",
    "create_family",
    "end_login",
    "login_is_live",
    "logins_of",
    "revoke_family",
    "rotate",
]


class RefreshFamilyItem(ParleyItem):
    user_id = NumberAttribute(attr_name="user_id")
    current_digest = UnicodeAttribute(attr_name="current_digest")
    revoked = BooleanAttribute(default=False, attr_name="revoked")
    generation = NumberAttribute(default=0, attr_name="generation")
    #: The family's login id (absent on families made before logins were kept).
    login = UnicodeAttribute(null=True, attr_name="login")


class LoginItem(ParleyItem):
    family = UnicodeAttribute(attr_name="family")
    revoked = BooleanAttribute(default=False, attr_name="revoked")


class Rotation(Enum):
    ROTATED = "rotated"
    REUSED = "reused"  # a token of the family that is no longer current
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no such family, or it has expired


@dataclass(frozen=True)
class RotationOutcome:
    rotation: Rotation
    user_id: int | None = None


def _login_item(user_id: int, login: str, family: str, expires_at: datetime) -> LoginItem:
    pk, sk = login_key(user_id, login)
    return LoginItem(pk=pk, sk=sk, family=family, revoked=False, expires_at=expires_at)


def create_family(family: str, login: str, user_id: int, digest: str, expires_at: datetime) -> None:
    """Start a family with its first token, and its login; both live until ``expires_at``
    (also their TTL)."""
    pk, sk = refresh_family_key(family)
    item = RefreshFamilyItem(
        pk=pk,
        sk=sk,
        user_id=user_id,
        current_digest=digest,
        revoked=False,
        generation=0,
        login=login,
        expires_at=expires_at,
    )
    try:
        with transaction() as tx:
            tx.save(item, condition=RefreshFamilyItem.pk.does_not_exist())
            tx.save(_login_item(user_id, login, family, expires_at))
    except (TransactWriteError, PynamoDBException) as exc:
        raise Unavailable("The store cannot be reached.") from exc


def rotate(family: str, presented: str, new_digest: str, login: str) -> RotationOutcome:
    """Replace the family's current token by a new one, if ``presented`` is the current one.

    A family made before logins were kept gets its login now (``login``).
    """
    pk, sk = refresh_family_key(family)
    now = datetime.now(UTC)
    item = RefreshFamilyItem(pk=pk, sk=sk)
    try:
        item.update(
            actions=[
                RefreshFamilyItem.current_digest.set(new_digest),
                RefreshFamilyItem.generation.add(1),
            ],
            condition=(RefreshFamilyItem.current_digest == presented)
            & RefreshFamilyItem.revoked.is_in(False)
            & (RefreshFamilyItem.expires_at > now),
        )
        if item.login is None and item.expires_at is not None:
            _login_item(int(item.user_id), login, family, item.expires_at).save()
            item.update(actions=[RefreshFamilyItem.login.set(login)])
        return RotationOutcome(Rotation.ROTATED, int(item.user_id))
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise Unavailable("The store cannot be reached.") from exc
    try:
        current = RefreshFamilyItem.get(pk, sk, consistent_read=True)
    except RefreshFamilyItem.DoesNotExist:
        return RotationOutcome(Rotation.UNKNOWN)
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc
    if current.expires_at is None or current.expires_at <= now:
        return RotationOutcome(Rotation.UNKNOWN)
    if current.revoked:
        return RotationOutcome(Rotation.REVOKED, int(current.user_id))
    return RotationOutcome(Rotation.REUSED, int(current.user_id))


def revoke_family(family: str) -> int | None:
    """Revoke every token of a family; its user, or None when there is no such family."""
    pk, sk = refresh_family_key(family)
    item = RefreshFamilyItem(pk=pk, sk=sk)
    try:
        item.update(
            actions=[RefreshFamilyItem.revoked.set(True)],
            condition=RefreshFamilyItem.pk.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise Unavailable("The store cannot be reached.") from exc
    return int(item.user_id)


def end_login(user_id: int, login: str) -> None:
    """Mark a login ended (its family is revoked apart). Idempotent; a missing one is left be."""
    pk, sk = login_key(user_id, login)
    try:
        LoginItem(pk=pk, sk=sk).update(
            actions=[LoginItem.revoked.set(True)], condition=LoginItem.pk.exists()
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise Unavailable("The store cannot be reached.") from exc


def logins_of(user_id: int) -> dict[str, str]:
    """Every live login of a user, to its family (one Query under the user, consistent)."""
    pk = user_pk(user_id)
    try:
        return {
            login_of_sk(item.sk): item.family
            for item in LoginItem.query(
                pk, LoginItem.sk.startswith(LOGIN_SK_PREFIX), consistent_read=True
            )
            if not item.revoked
        }
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def login_is_live(user_id: int, login: str) -> bool:
    """Whether a login exists, has not ended and has not expired."""
    try:
        item = LoginItem.get(*login_key(user_id, login), consistent_read=True)
    except LoginItem.DoesNotExist:
        return False
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc
    live_until = item.expires_at
    return not item.revoked and live_until is not None and live_until > datetime.now(UTC)
