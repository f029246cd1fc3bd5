"""The media node control client: its URLs, retries, and the circuit breaker (no network: the
HTTP call is replaced), and the voice values' rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pybreaker
import pytest
import requests
from pydantic import ValidationError

from shared.config import get_settings
from shared.errors import Unavailable
from shared.voice import control as voice_control
from shared.voice.domain.states import VoiceState, VoiceStateRequest
from shared.voice.token_keys import load_voice_keys
from shared.voice.voice_tokens import VoiceTokenVerifier


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.text = ""


@dataclass
class FakeHttp:
    """Every control call the client makes; each answers the next of ``answers`` (else 200)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)

    def request(self, method: str, url: str, **kw: Any) -> FakeResponse:
        self.calls.append({"method": method, "url": url, **kw})
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer)


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> FakeHttp:
    fake = FakeHttp()
    monkeypatch.setattr("requests.request", fake.request)
    monkeypatch.setattr(voice_control, "_breakers", {})
    return fake


def test_the_control_url_is_the_endpoints_origin() -> None:
    assert (
        voice_control.control_url("wss://voice-a.example.org/rtc", 5, 7)
        == "https://voice-a.example.org/rooms/5/members/7"
    )
    assert (
        voice_control.control_url("ws://127.0.0.1:7000/rtc", 5, 7)
        == "http://127.0.0.1:7000/rooms/5/members/7"
    )


def test_each_call_carries_a_fresh_control_token_for_that_node(http: FakeHttp) -> None:
    voice_control.set_member_flags("node-a", "ws://n:1/rtc", 5, 7, mute=True, deaf=False)
    voice_control.set_member_flags("node-a", "ws://n:1/rtc", 5, 7, mute=False, deaf=False)

    assert [c["method"] for c in http.calls] == ["PATCH", "PATCH"]
    assert http.calls[0]["json"] == {"server_mute": True, "server_deaf": False}
    tokens = [c["headers"]["Authorization"].removeprefix("Bearer ") for c in http.calls]
    assert tokens[0] != tokens[1]
    verifier = VoiceTokenVerifier(load_voice_keys(get_settings()).jwks_json(), "node-a")
    for token in tokens:
        verifier.verify_control(token)


def test_transient_failures_are_retried_then_a_503(http: FakeHttp) -> None:
    http.answers.extend([requests.ConnectionError("refused"), 502])
    voice_control.disconnect_member("node-a", "ws://n:1/rtc", 5, 7)  # third attempt succeeds
    assert len(http.calls) == 3

    attempts = get_settings().voice_control_attempts
    http.answers.extend([503] * attempts)
    with pytest.raises(Unavailable):
        voice_control.disconnect_member("node-a", "ws://n:1/rtc", 5, 7)
    assert len(http.calls) == 3 + attempts


def test_a_missing_participant_is_not_an_error_nor_retried(http: FakeHttp) -> None:
    http.answers.append(404)
    voice_control.disconnect_member("node-a", "ws://n:1/rtc", 5, 7)
    assert len(http.calls) == 1


def test_the_breaker_opens_after_repeated_failures_and_fails_fast(
    http: FakeHttp,
) -> None:
    settings = get_settings()
    failures = settings.voice_breaker_fail_max
    http.answers.extend([requests.Timeout("slow")] * (failures * settings.voice_control_attempts))
    for _ in range(failures):
        with pytest.raises(Unavailable):
            voice_control.disconnect_member("sick", "ws://n:1/rtc", 5, 7)
    called = len(http.calls)
    assert voice_control.breaker_for("sick").current_state == pybreaker.STATE_OPEN

    with pytest.raises(Unavailable) as refused:
        voice_control.disconnect_member("sick", "ws://n:1/rtc", 5, 7)
    assert refused.value.code == "voice_node_unavailable"
    assert len(http.calls) == called  # open: the node is not called at all
    voice_control.disconnect_member("healthy", "ws://m:1/rtc", 5, 7)  # one breaker per node
    assert len(http.calls) == called + 1


def test_op4_payloads_validate() -> None:
    parsed = VoiceStateRequest.model_validate({"guild_id": "12", "channel_id": None})
    assert (parsed.guild_id, parsed.channel_id, parsed.self_mute) == (12, None, False)
    for bad in ({}, {"guild_id": "x"}, {"guild_id": 0}, {"guild_id": 1, "channel_id": -1}):
        with pytest.raises(ValidationError):
            VoiceStateRequest.model_validate(bad)


def test_a_voice_state_is_server_muted_when_muted_or_suppressed() -> None:
    state = VoiceState(guild_id=1, user_id=2, channel_id=3, session_id="s")
    assert not state.server_mute
    assert state.with_(mute=True).server_mute and state.with_(suppress=True).server_mute
    assert state.left_json()["channel_id"] is None and state.as_json()["channel_id"] == "3"
    with pytest.raises(ValueError, match="names a guild"):
        VoiceState(guild_id=1, user_id=2, channel_id=3, session_id="")
