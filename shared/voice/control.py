"""Calls to a media node's control API: server mute/deafen and disconnect.

``PATCH``/``DELETE /rooms/{channel}/members/{user}`` on the node, each with a fresh single-use
control token (``shared.voice.voice_tokens.mint_control_token``). Each node has its own circuit
breaker (pybreaker): after ``voice_breaker_fail_max`` failed calls in a row the node is not called
for ``voice_breaker_reset_s`` (one trial call then decides), so a dead or sick node costs a request
nothing but a fast :class:`~shared.errors.Unavailable`. Transient failures (connection errors,
timeouts, 5xx) are retried with tenacity, each attempt with a new token.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pybreaker
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.config import get_settings
from shared.errors import Unavailable
from shared.observability import logger

__all__ = ["breaker_for", "control_url", "disconnect_member", "set_member_flags"]

_lock = threading.Lock()
_breakers: dict[str, pybreaker.CircuitBreaker] = {}


class _Transient(Exception):
    """A failure worth another attempt (and counted by the breaker)."""


def breaker_for(node_id: str) -> pybreaker.CircuitBreaker:
    """The node's circuit breaker (one per node per container)."""
    settings = get_settings()
    with _lock:
        breaker = _breakers.get(node_id)
        if breaker is None:
            breaker = pybreaker.CircuitBreaker(
                fail_max=settings.voice_breaker_fail_max,
                reset_timeout=settings.voice_breaker_reset_s,
                name=f"media-node:{node_id}",
            )
            _breakers[node_id] = breaker
        return breaker


def control_url(endpoint: str, channel_id: int, user_id: int) -> str:
    """The control route on the node whose signalling endpoint is ``endpoint`` (same origin)."""
    parts = urlsplit(endpoint)
    scheme = "https" if parts.scheme == "wss" else "http"
    path = f"/rooms/{channel_id}/members/{user_id}"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _call_once(method: str, node_id: str, url: str, body: dict[str, Any] | None) -> None:
    # Imported by the calls that reach a node: requests and the token signing (PyJWT,
    # cryptography) are no cost of every cold start of the functions that may call one.
    import requests

    from shared.voice.token_keys import load_voice_keys
    from shared.voice.voice_tokens import mint_control_token

    settings = get_settings()
    keys = load_voice_keys(settings)
    token = mint_control_token(keys.private_pem, kid=keys.kid, node_id=node_id)
    try:
        response = requests.request(
            method,
            url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=settings.voice_control_timeout_s,
        )
    except requests.RequestException as exc:
        raise _Transient(str(exc)) from exc
    if response.status_code >= 500:
        raise _Transient(f"{method} {url}: {response.status_code}")
    if response.status_code == 404:
        return  # the member is not (or no longer) on the node: nothing to change
    if response.status_code >= 400:
        logger.warning(
            "node refused a control call",
            extra={"node_id": node_id, "status": response.status_code, "body": response.text},
        )


def _call(method: str, node_id: str, url: str, body: dict[str, Any] | None) -> None:
    settings = get_settings()
    attempt = retry(
        retry=retry_if_exception_type(_Transient),
        stop=stop_after_attempt(settings.voice_control_attempts),
        wait=wait_exponential_jitter(multiplier=0.05, max=0.5),
        reraise=True,
    )(_call_once)
    try:
        breaker_for(node_id).call(attempt, method, node_id, url, body)
    except pybreaker.CircuitBreakerError as exc:
        raise Unavailable(
            "The voice server is not answering; try again later.", code="voice_node_unavailable"
        ) from exc
    except _Transient as exc:
        raise Unavailable(
            "The voice server could not be reached; try again.", code="voice_node_unavailable"
        ) from exc


def set_member_flags(
    node_id: str, endpoint: str, channel_id: int, user_id: int, *, mute: bool, deaf: bool
) -> None:
    """Server mute/deafen a participant on its node now."""
    _call(
        "PATCH",
        node_id,
        control_url(endpoint, channel_id, user_id),
        {"server_mute": mute, "server_deaf": deaf},
    )


def disconnect_member(node_id: str, endpoint: str, channel_id: int, user_id: int) -> None:
    """Disconnect a participant from its node (it left voice, or its session went away)."""
    _call("DELETE", node_id, control_url(endpoint, channel_id, user_id), None)
