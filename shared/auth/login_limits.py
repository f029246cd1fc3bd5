"""The limits on password logins, counted per account as resolved, never per typed string.

Three buckets: the caller's address (``auth.login.ip``), the account *and* the caller together
(``auth.login.account.ip``: a stranger who spends it stops only themself), and the account
alone (``auth.login.account``), a larger ceiling that only many addresses together reach: it
slows the owner down while a distributed guessing runs, it never locks them out, since it
refills. Every spelling of an account (username or email, any case, spaces around) is the same
account; a login name that names no account is counted under that name, with the same limits
and headers, so the answers tell nothing of whether an account exists.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from shared.auth.accounts import resolve_login
from shared.config import get_settings
from shared.http import caller_id
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit
from shared.limits.rest import client_ip

__all__ = [
    "LOGIN_PER_ACCOUNT",
    "LOGIN_PER_ACCOUNT_AND_IP",
    "LOGIN_PER_IP",
    "login_account",
    "login_account_and_ip",
    "signed_in_account",
    "signed_in_account_and_ip",
]

LOGIN_PER_IP = Limit("auth.login.ip", lambda: Rate.parse(get_settings().rate_login_per_ip))
LOGIN_PER_ACCOUNT_AND_IP = Limit(
    "auth.login.account.ip", lambda: Rate.parse(get_settings().rate_login_per_account_ip)
)
LOGIN_PER_ACCOUNT = Limit(
    "auth.login.account", lambda: Rate.parse(get_settings().rate_login_per_account)
)

_RESOLVED = "login_account"


def login_account(app: ApiGatewayResolver) -> str | None:
    """The account a login body names: ``user:<id>``, or ``name:<folded name>`` if none."""
    if _RESOLVED in app.context:
        return str(app.context[_RESOLVED]) if app.context[_RESOLVED] else None
    try:
        body = app.current_event.json_body
    except ValueError:
        body = None
    name = body.get("login") if isinstance(body, dict) else None
    subject: str | None = None
    if isinstance(name, str) and name.strip() and len(name) <= 320:
        user_id = resolve_login(name)
        subject = f"user:{user_id}" if user_id is not None else f"name:{name.strip().casefold()}"
    app.append_context(**{_RESOLVED: subject or ""})
    return subject


def login_account_and_ip(app: ApiGatewayResolver) -> str | None:
    """The account and the caller's address together."""
    account, address = login_account(app), client_ip(app)
    return f"{account}|{address}" if account and address else None


def signed_in_account(app: ApiGatewayResolver) -> str | None:
    """The signed-in caller's account, counted in the same buckets as logins to it: proving
    the current password (a password change) is a guess like a login's."""
    return f"user:{caller_id(app)}"


def signed_in_account_and_ip(app: ApiGatewayResolver) -> str | None:
    """The signed-in caller's account and address together."""
    address = client_ip(app)
    return f"{signed_in_account(app)}|{address}" if address else None
