"""Pending OpenID logins: what the callback needs (PKCE verifier, nonce), usable exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DeleteError, PynamoDBException

from shared.errors import Unavailable
from shared.table.keys import oidc_state_key
from shared.table.schema import ParleyItem

__all__ = ["PendingLogin", "consume_pending", "save_pending"]


class PendingLoginItem(ParleyItem):
    provider = UnicodeAttribute(attr_name="provider")
    nonce = UnicodeAttribute(attr_name="nonce")
    code_verifier = UnicodeAttribute(attr_name="code_verifier")
    redirect_uri = UnicodeAttribute(attr_name="redirect_uri")
    return_to = UnicodeAttribute(null=True, attr_name="return_to")
    client_state = UnicodeAttribute(null=True, attr_name="client_state")


@dataclass(frozen=True)
class PendingLogin:
    state: str
    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    #: The page (a UI) the browser goes back to with the tokens; None: the callback answers JSON.
    return_to: str | None = None
    #: The state the page made for this login, carried back to it in the fragment.
    client_state: str | None = None


def save_pending(pending: PendingLogin, ttl_s: int) -> None:
    pk, sk = oidc_state_key(pending.state)
    item = PendingLoginItem(
        pk=pk,
        sk=sk,
        provider=pending.provider,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
        redirect_uri=pending.redirect_uri,
        return_to=pending.return_to,
        client_state=pending.client_state,
        expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s),
    )
    try:
        item.save(condition=PendingLoginItem.pk.does_not_exist())
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc


def consume_pending(state: str) -> PendingLogin | None:
    """The pending login of a state, deleted as it is read; None if unknown, used or expired."""
    pk, sk = oidc_state_key(state)
    try:
        item = PendingLoginItem.get(pk, sk, consistent_read=True)
        item.delete(condition=PendingLoginItem.pk.exists())
    except (PendingLoginItem.DoesNotExist, DeleteError):
        return None
    except PynamoDBException as exc:
        raise Unavailable("The store cannot be reached.") from exc
    if item.expires_at is None or item.expires_at <= datetime.now(UTC):
        return None
    return PendingLogin(
        state=state,
        provider=item.provider,
        nonce=item.nonce,
        code_verifier=item.code_verifier,
        redirect_uri=item.redirect_uri,
        return_to=item.return_to,
        client_state=item.client_state,
    )
