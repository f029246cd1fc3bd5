"""OpenID Connect logins (authorization code + PKCE), with Authlib, for any configured provider.

``start`` discovers the provider (``<issuer>/.well-known/openid-configuration``), makes the state,
nonce and PKCE verifier, keeps them in the store for ten minutes and answers the provider's
authorization URL. ``callback`` checks the state twice (the pending login in the store, used
once, and the cookie set on the browser that started, which stops login CSRF), exchanges the
code with the verifier, and lets Authlib check the ID token (signature by the provider's JWKS,
``iss``, ``aud``, ``exp``, ``nonce``). The verified identity then signs into its account.

A login started by a UI names the page to come back to: the callback then sends the browser
there with the token pair in the URL fragment (never sent to any server, and taken out of the
address bar by the page), with the ``state`` the page named when it started the login: a
page takes tokens only from a login it started itself (login CSRF). Only the public URL's own
origin, the configured
``oidc_return_origins`` and loopback addresses (a desktop shell's local UI, as RFC 8252 allows
native apps) may be named, so a login cannot be steered to hand its tokens to another site.
A login that fails once its page is known (the provider refused, its answer did not verify, the
account cannot sign in) goes back there too, with ``error`` and ``error_description`` in the
fragment instead of the tokens; one whose state does not check out is answered where it is
(401), since nothing vouches for the page it names.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from shared.auth.accounts import oidc_login
from shared.auth.oidc_secrets import client_secret
from shared.auth.storage.oidc_states import PendingLogin, consume_pending, save_pending
from shared.config import OidcProviderSettings, get_settings
from shared.errors import Invalid, NotFound, ParleyError, Unauthorized, Unavailable
from shared.observability import logger

if TYPE_CHECKING:
    from shared.auth.oidc_client import OidcClient

__all__ = [
    "PENDING_TTL_S",
    "STATE_COOKIE",
    "Redirect",
    "SignInFailed",
    "SignedIn",
    "callback",
    "failure_location",
    "providers",
    "return_location",
    "start",
]

STATE_COOKIE = "parley_oidc_state"
PENDING_TTL_S = 600
HTTP_TIMEOUT_S = 10


@dataclass(frozen=True)
class Redirect:
    """Where to send the browser, and the state to keep in its cookie meanwhile."""

    location: str
    state: str


@dataclass(frozen=True)
class SignedIn:
    """A finished provider login: the session (user and token pair), and the page to return to
    (None: answer the session as JSON) with the state that page made."""

    session: dict[str, Any]
    return_to: str | None
    client_state: str | None = None


class SignInFailed(Exception):
    """A login that failed after the page that started it was known: the browser goes back
    there with the error."""

    def __init__(self, return_to: str, error: ParleyError, client_state: str | None) -> None:
        super().__init__(error.message)
        self.return_to = return_to
        self.error = error
        self.client_state = client_state


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL; None for anything else, a URL that carries
    credentials (``user@host``) or a malformed port."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{port}' if port is not None else ''}".lower()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_return(url: str | None, public_url: str) -> str | None:
    """The page a login may return to, or :class:`Invalid` (400) if it may not."""
    if url is None:
        return None
    origin = _origin(url)
    settings = get_settings()
    allowed = {_origin(public_url)} | {_origin(o) for o in settings.oidc_return_origins}
    if origin is None or urlsplit(url).fragment or not (origin in allowed or _is_loopback(url)):
        raise Invalid(
            "The sign-in cannot return to that address.",
            code="invalid_return",
            errors={"redirect_uri": "not an allowed origin"},
        )
    return url


def _back_to(page: str, fields: dict[str, Any], client_state: str | None) -> str:
    """``page`` with ``fields`` (and the page's own state, if it named one) in the fragment."""
    state = {} if client_state is None else {"state": client_state}
    return f"{page}#{urlencode({**fields, **state})}"


def return_location(signed_in: SignedIn) -> str:
    """The page to send the browser back to, with the session in the fragment."""
    assert signed_in.return_to is not None
    session = signed_in.session
    fields = {
        "access_token": session["access_token"],
        "refresh_token": session["refresh_token"],
        "token_type": session["token_type"],
        "expires_in": session["expires_in"],
        "user_id": session["user"]["id"],
        "username": session["user"]["username"],
    }
    return _back_to(signed_in.return_to, fields, signed_in.client_state)


def failure_location(failed: SignInFailed) -> str:
    """The page to send the browser back to, with the error in the fragment."""
    fields = {"error": failed.error.code, "error_description": failed.error.message}
    return _back_to(failed.return_to, fields, failed.client_state)


def providers() -> list[dict[str, str]]:
    """The configured providers as the sign-in screen lists them: key and display name only
    (never the issuer's secrets), in a stable order."""
    configured = get_settings().oidc_providers
    return [{"id": key, "name": configured[key].name or key} for key in sorted(configured)]


def _provider(name: str) -> OidcProviderSettings:
    provider = get_settings().oidc_providers.get(name)
    if provider is None:
        raise NotFound(f"No OpenID provider named {name!r}.", code="unknown_provider")
    return provider


@cache
def _client(name: str) -> OidcClient:
    """One client per provider and container: its discovery document and JWKS are cached."""
    from shared.auth.oidc_client import FrameworkIntegration, OidcClient

    provider = _provider(name)
    return OidcClient(
        FrameworkIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=client_secret(name, provider, get_settings()),
        server_metadata_url=f"{provider.issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": provider.scope,
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT_S,
        },
    )


def _redirect_uri(name: str, public_url: str) -> str:
    return f"{public_url.rstrip('/')}/api/v1/auth/oidc/{name}/callback"


def start(
    name: str,
    return_to: str | None = None,
    *,
    public_url: str | None = None,
    client_state: str | None = None,
) -> Redirect:
    """Where to send the browser to sign in with a provider, and the state cookie to set.
    ``return_to``: the page the callback sends the browser back to (see the module's doc);
    ``public_url``: the API's URL the provider returns to (default: the settings');
    ``client_state``: the page's own state, given back to it in the fragment (not the
    provider's ``state``, which this module makes)."""
    base = public_url or get_settings().public_url
    return_to = _checked_return(return_to, base)
    client = _client(name)
    redirect_uri = _redirect_uri(name, base)
    from shared.auth.oidc_client import UNREACHABLE, UNVERIFIED

    try:
        made = client.create_authorization_url(redirect_uri)
    except UNREACHABLE + UNVERIFIED as exc:
        logger.warning(
            "OpenID discovery failed", extra={"provider": name, "error": type(exc).__name__}
        )
        raise Unavailable(
            "The sign-in provider cannot be reached.", code="oidc_unavailable"
        ) from exc
    save_pending(
        PendingLogin(
            state=made["state"],
            provider=name,
            nonce=made["nonce"],
            code_verifier=made["code_verifier"],
            redirect_uri=redirect_uri,
            return_to=return_to,
            client_state=client_state,
        ),
        PENDING_TTL_S,
    )
    return Redirect(location=made["url"], state=made["state"])


def _refused(message: str, code: str = "oidc_failed") -> Unauthorized:
    return Unauthorized(message, code=code)


def _denied(error: str) -> Unauthorized:
    return _refused(f"The provider refused the sign-in ({error[:64]}).", "oidc_denied")


def callback(
    name: str,
    *,
    code: str | None,
    state: str | None,
    cookie_state: str | None,
    error: str | None,
) -> SignedIn:
    """Finish a provider login: a Parley session for the identity the provider vouched for.

    :class:`SignInFailed` once the login's page is known, the error itself before."""
    provider = _provider(name)
    if not state or cookie_state != state:
        if error:
            raise _denied(error)
        if not code or not state:
            raise _refused("The callback lacks its code or state.", "oidc_state")
        raise _refused("The sign-in was not started from this browser.", "oidc_state")
    pending = consume_pending(state)
    if pending is None or pending.provider != name:
        if error:
            raise _denied(error)
        raise _refused("The sign-in has expired or was already used.", "oidc_state")
    try:
        session = _signed_in(name, provider, pending, code=code, error=error)
    except ParleyError as exc:
        if pending.return_to is None:
            raise
        raise SignInFailed(pending.return_to, exc, pending.client_state) from exc
    return SignedIn(session, pending.return_to, pending.client_state)


def _signed_in(
    name: str,
    provider: OidcProviderSettings,
    pending: PendingLogin,
    *,
    code: str | None,
    error: str | None,
) -> dict[str, Any]:
    """The session for the identity the provider's answer vouches for (its state checked)."""
    if error:
        raise _denied(error)
    if not code:
        raise _refused("The callback lacks its code or state.", "oidc_state")
    client = _client(name)
    from shared.auth.oidc_client import UNREACHABLE, UNVERIFIED

    try:
        token = client.fetch_access_token(
            redirect_uri=pending.redirect_uri, code=code, code_verifier=pending.code_verifier
        )
        claims = client.parse_id_token(token, nonce=pending.nonce)
        if claims is not None and "email" not in claims:
            # Conformant providers may keep scope claims out of the ID token: ask userinfo,
            # and take its answer only for the subject the ID token vouched for.
            info = client.userinfo(token=token)
            if str(info.get("sub")) == str(claims["sub"]):
                claims = {**info, **claims}
    except UNREACHABLE as exc:
        raise Unavailable(
            "The sign-in provider cannot be reached.", code="oidc_unavailable"
        ) from exc
    except UNVERIFIED as exc:
        logger.warning(
            "OpenID callback refused", extra={"provider": name, "error": type(exc).__name__}
        )
        raise _refused("The provider's answer could not be verified.") from exc
    if claims is None:
        raise _refused("The provider sent no ID token.")
    issuer = str(claims.get("iss") or provider.issuer)
    return oidc_login(
        issuer=issuer,
        subject=str(claims["sub"]),
        email=claims.get("email"),
        email_verified=claims.get("email_verified") is True,
        preferred_username=claims.get("preferred_username"),
    )
