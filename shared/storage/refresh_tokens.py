"""Refresh token families: one item per family holding the digest of its current token.

Rotation is one conditional update (the presented digest must be the current one, the family
neither revoked nor expired), so two clients racing with the same token cannot both rotate it:
the loser sees a digest that is no longer current, which is exactly what reuse looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, UpdateError

from shared.errors import Unavailable
from shared.storage.keys import refresh_family_key
from shared.storage.table import ParleyItem

__all__ = ["Rotation", "RotationOutcome", "create_family", "revoke_family", "rotate"]


class RefreshFamilyItem(ParleyItem):
    user_id = NumberAttribute(attr_name="user_id")
    current_digest = UnicodeAttribute(attr_name="current_digest")
    revoked = BooleanAttribute(default=False, attr_name="revoked")
    generation = NumberAttribute(default=0, attr_name="generation")


class Rotation(Enum):
    ROTATED = "rotated"
    REUSED = "reused"  # a token of the family that is no longer current
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no such family, or it has expired


@dataclass(frozen=True)
class RotationOutcome:
    rotation: Rotation
    user_id: int | None = None


def create_family(family: str, user_id: int, digest: str, expires_at: datetime) -> None:
    """Start a family with its first token; it lives until ``expires_at`` (also its TTL)."""
    pk, sk = refresh_family_key(family)
    item = RefreshFamilyItem(
        pk=pk,
        sk=sk,
        user_id=user_id,
        current_digest=digest,
        revoked=False,
        generation=0,
        expires_at=expires_at,
    )
    try:
        item.save(condition=RefreshFamilyItem.pk.does_not_exist())
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def rotate(family: str, presented: str, new_digest: str) -> RotationOutcome:
    """Replace the family's current token by a new one, if ``presented`` is the current one."""
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


def revoke_family(family: str) -> bool:
    """Revoke every token of a family; False when there is no such family."""
    pk, sk = refresh_family_key(family)
    try:
        RefreshFamilyItem(pk=pk, sk=sk).update(
            actions=[RefreshFamilyItem.revoked.set(True)],
            condition=RefreshFamilyItem.pk.exists(),
        )
        return True
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise Unavailable("The store cannot be reached.") from exc
