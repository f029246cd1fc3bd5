"""The auth routes: register, login, refresh, logout, OpenID login, and the issuer's keys.

All of them but ``/auth/logout-all`` are public (``Auth: Authorizer: NONE`` in the template); the
ones a stranger can use to guess at accounts are rate limited per IP and per account.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from pydantic import BaseModel, Field

from functions.auth.models import Discovery, Jwks, Session
from shared.auth import accounts, oidc
from shared.auth import logins as sessions
from shared.auth.discovery import discovery_document
from shared.auth.keysource import load_keyring
from shared.auth.login_limits import (
    LOGIN_PER_ACCOUNT,
    LOGIN_PER_ACCOUNT_AND_IP,
    LOGIN_PER_IP,
    login_account,
    login_account_and_ip,
)
from shared.config import get_settings
from shared.http import NEEDS_TOKEN, caller_id
from shared.limits.domain.bucket import Rate
from shared.limits.limiter import Limit
from shared.limits.rest import body_field, client_ip, rate_limited
from shared.responses import answers

router = APIGatewayHttpRouter()

REGISTER_PER_IP = Limit("auth.register.ip", lambda: Rate.parse(get_settings().rate_register_per_ip))
REGISTER_PER_ACCOUNT = Limit(
    "auth.register.account", lambda: Rate.parse(get_settings().rate_register_per_account)
)
REFRESH_PER_IP = Limit("auth.refresh.ip", lambda: Rate.parse(get_settings().rate_refresh_per_ip))

#: A page's own OpenID state: URL-safe characters, 16 to 128 of them.
STATE_PATTERN = r"^[A-Za-z0-9_-]+$"

#: An OpenID provider's key in the configuration (``google``, ``github``, ...).
Provider = Annotated[str, Path(min_length=1, max_length=64)]

#: Token answers must not be cached anywhere (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store"}


class RegisterBody(BaseModel):
    username: str = Field(max_length=64)
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class LoginBody(BaseModel):
    login: str = Field(min_length=1, max_length=320, description="username or email")
    password: str = Field(max_length=1024)


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers or {},
    )


@router.post(
    "/auth/register",
    middlewares=[
        rate_limited((REGISTER_PER_IP, client_ip), (REGISTER_PER_ACCOUNT, body_field("email")))
    ],
    status_code=201,
    responses=answers(Session, "The new user and a first token pair.", 201),
)
def register(body: RegisterBody) -> Response[Any]:
    """Create an account; 201 with the user and a first token pair."""
    session = accounts.register(body.username, body.email, body.password)
    return _json(201, session, NO_STORE)


@router.post(
    "/auth/login",
    middlewares=[
        rate_limited(
            (LOGIN_PER_IP, client_ip),
            (LOGIN_PER_ACCOUNT_AND_IP, login_account_and_ip),
            (LOGIN_PER_ACCOUNT, login_account),
        )
    ],
    responses=answers(Session, "The user and a token pair."),
)
def login(body: LoginBody) -> Response[Any]:
    """Sign in with a username or email and a password."""
    return _json(200, accounts.login(body.login, body.password), NO_STORE)


@router.post(
    "/auth/refresh",
    middlewares=[rate_limited((REFRESH_PER_IP, client_ip))],
    responses=answers(Session, "The user and a new token pair."),
)
def refresh(body: RefreshBody) -> Response[Any]:
    """Trade a refresh token for a new pair (the old refresh token is spent)."""
    return _json(200, sessions.refresh(body.refresh_token), NO_STORE)


@router.post(
    "/auth/logout", middlewares=[rate_limited((REFRESH_PER_IP, client_ip))], status_code=204
)
def logout(body: RefreshBody) -> Response[Any]:
    """End the session of a refresh token (every token of its family); 204."""
    sessions.logout(body.refresh_token)
    return Response(status_code=204, headers=NO_STORE)


@router.post(
    "/auth/logout-all",
    middlewares=[rate_limited((REFRESH_PER_IP, client_ip))],
    status_code=204,
    security=NEEDS_TOKEN,
)
def logout_all() -> Response[Any]:
    """End every login of the caller (their refresh tokens everywhere) and close their gateway
    connections; 204. Behind the JWT authorizer."""
    sessions.logout_everywhere(caller_id(router))
    return Response(status_code=204, headers=NO_STORE)


def _public_url() -> str:
    """The API's URL: the configured one, else (no custom domain on AWS) the HTTPS host this
    request came in on, which API Gateway sets."""
    configured = get_settings().public_url
    return configured or f"https://{router.current_event.request_context.domain_name}"


def _state_cookie(value: str, max_age: int) -> Cookie:
    return Cookie(
        name=oidc.STATE_COOKIE,
        value=value,
        path="/api/v1/auth/oidc",
        max_age=max_age,
        http_only=True,
        secure=_public_url().startswith("https://"),
        same_site=SameSite.LAX_MODE,
    )


@router.get(
    "/auth/oidc/<provider>/start",
    responses={302: {"description": "To the provider's sign-in page (``Location``)."}},
)
def oidc_start(
    provider: Provider,
    redirect_uri: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[
        str | None, Query(min_length=16, max_length=128, pattern=STATE_PATTERN)
    ] = None,
) -> Response[Any]:
    """Send the browser to the provider's sign-in page (302), remembering the state, and
    (``redirect_uri``) the page to come back to with the tokens and the page's own ``state``."""
    redirect = oidc.start(provider, redirect_uri, public_url=_public_url(), client_state=state)
    return Response(
        status_code=302,
        headers={"Location": redirect.location, **NO_STORE},
        cookies=[_state_cookie(redirect.state, oidc.PENDING_TTL_S)],
    )


def _cookie_value(name: str) -> str | None:
    for cookie in router.current_event.cookies or []:
        key, _, value = cookie.partition("=")
        if key.strip() == name:
            return value.strip()
    return None


@router.get(
    "/auth/oidc/<provider>/callback",
    responses={
        **answers(Session, "Signed in: the user and a token pair."),
        302: {"description": "Back to the page that started the login (``Location``)."},
    },
)
def oidc_callback(
    provider: Provider,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=256)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response[Any]:
    """The provider sends the browser back here: back to the page that started the login,
    with the token pair in the fragment (302; a failed login: its error there), or, if none was
    named, 200 with the user and the token pair."""
    try:
        signed_in = oidc.callback(
            provider,
            code=code,
            state=state,
            cookie_state=_cookie_value(oidc.STATE_COOKIE),
            error=error,
        )
    except oidc.SignInFailed as failed:
        location: str | None = oidc.failure_location(failed)
    else:
        location = None if signed_in.return_to is None else oidc.return_location(signed_in)
    if location is not None:
        response: Response[Any] = Response(
            status_code=302, headers={"Location": location, **NO_STORE}
        )
    else:
        response = _json(200, signed_in.session, NO_STORE)
    response.cookies.append(_state_cookie("", 0))
    return response


@router.get("/.well-known/jwks.json", responses=answers(Jwks, "The public JWK Set."))
def jwks() -> Response[Any]:
    """The public keys of the access tokens (what API Gateway's JWT authorizer fetches)."""
    keys = load_keyring(get_settings()).jwks()
    return _json(200, keys, {"Cache-Control": "public, max-age=300"})


@router.get(
    "/.well-known/openid-configuration", responses=answers(Discovery, "The discovery document.")
)
def openid_configuration() -> Response[Any]:
    """The discovery document of Parley's token issuer (its ``jwks_uri`` above all)."""
    document = discovery_document(get_settings().jwt_issuer)
    return _json(200, document, {"Cache-Control": "public, max-age=300"})
