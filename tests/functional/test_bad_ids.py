"""Ids and strings a client sends in the wrong form: a 400 in the CONTRACT shape, never a 500.

One form of an id is accepted everywhere (``shared.ids.SnowflakeId``): decimal ASCII digits, no
leading zero, below 2^63. Every route of template.yaml with an id in its path is tried with the
wrong forms, so a route added later is covered without being listed here.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from shared.config import get_settings
from tests.functional.apigw import request, routes, template
from tests.functional.conftest import FakeLambdaContext, frames_posted, load_event
from tests.functional.guildkit import create_guild, new_user, text_channel
from tests.functional.harness import Api
from websocket_routes.default import app as default_app

pytestmark = pytest.mark.usefixtures("store")

TOO_BIG = str(1 << 63)  # 9223372036854775808: one past the largest id
HUGE = "9999999999999999999"
LARGEST = str((1 << 63) - 1)
#: Path parameters that are not ids (an emoji, an invite code, an OpenID provider).
NOT_IDS = {"emoji", "code", "provider"}


def assert_invalid_id(reply: Any) -> None:
    assert reply.status == 400, reply
    assert reply.body["code"] == "invalid_id", reply
    assert isinstance(reply.body["message"], str)


def _id_routes() -> list[tuple[str, str]]:
    found = []
    for route in template().http_routes:
        names = re.findall(r"\{(\w+)\}", route.path)
        if any(name not in NOT_IDS for name in names):
            found.append((route.method, route.path.removeprefix("/api/v1")))
    return sorted(found)


def _fill(path: str, bad: str, good: dict[str, str]) -> list[str]:
    """The path once per id parameter, that one ``bad`` and the others ``good``."""
    names = [n for n in re.findall(r"\{(\w+)\}", path) if n not in NOT_IDS]
    filled = []
    for wrong in names:
        text = path
        for name in re.findall(r"\{(\w+)\}", path):
            value = (
                bad if name == wrong else good.get(name, "%F0%9F%98%80" if name == "emoji" else "1")
            )
            text = text.replace(f"{{{name}}}", value)
        filled.append(text)
    return filled


@pytest.mark.parametrize(("method", "path"), _id_routes())
def test_every_path_id_in_the_wrong_form_is_a_400(method: str, path: str) -> None:
    # The other ids are well formed (whether they exist does not matter: the form is checked
    # before anything is looked up).
    owner, good = new_user(), {"guild_id": str(new_user()), "channel_id": str(new_user())}
    for bad in (TOO_BIG, "0" + LARGEST, "01", "١٢٣"):
        for filled in _fill(path, bad, good):
            body = None if method in ("GET", "DELETE") else {}
            assert routes().match(method, f"/api/v1{filled}") is not None
            assert_invalid_id(request(method, filled, user=owner, body=body))


def test_the_largest_id_is_a_well_formed_one() -> None:
    owner = new_user()
    reply = request("GET", f"/channels/{LARGEST}", user=owner)
    assert reply.status == 404, reply


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/channels/{channel}/messages", "before"),
        ("/guilds/{guild}/audit-log", "before"),
        ("/guilds/{guild}/members", "after"),
        ("/guilds/{guild}/bans", "after"),
        ("/users/@me/guilds", "after"),
        ("/users/@me/guilds", "before"),
    ],
)
def test_a_cursor_in_the_wrong_form_is_a_400(path: str, name: str) -> None:
    owner = new_user()
    guild = create_guild(owner)
    url = path.format(channel=text_channel(guild), guild=guild["id"])
    assert request("GET", url, user=owner, query={name: LARGEST}).status == 200
    for bad in (TOO_BIG, HUGE, "01", "-1", "x"):
        assert_invalid_id(request("GET", url, user=owner, query={name: bad}))


@pytest.mark.parametrize("bad", [TOO_BIG, HUGE, "01", 1 << 63, -1])
def test_reply_to_in_the_wrong_form_is_a_400(bad: Any) -> None:
    owner = new_user()
    channel = text_channel(create_guild(owner))
    reply = request(
        "POST", f"/channels/{channel}/messages", user=owner, body={"content": "hi", "reply_to": bad}
    )
    assert_invalid_id(reply)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users/@me/channels", {"recipient_id": "01"}),
        ("/users/@me/channels", {"recipient_id": TOO_BIG}),
        ("/guilds/{guild}/channels", {"name": "x", "parent_id": "01"}),
        ("/guilds/{guild}/channels", {"name": "x", "parent_id": TOO_BIG}),
        ("/channels/{channel}/messages", {"content": "hi", "attachments": [TOO_BIG]}),
        ("/channels/{channel}/messages", {"content": "hi", "attachments": ["01"]}),
        ("/channels/{channel}/messages", {"content": "hi", "attachments": [{"id": "01"}]}),
        ("/channels/{channel}/messages", {"content": "hi", "attachments": [{"id": TOO_BIG}]}),
    ],
)
def test_a_body_id_in_the_wrong_form_is_a_400(path: str, body: dict[str, Any]) -> None:
    owner = new_user()
    guild = create_guild(owner)
    url = path.format(channel=text_channel(guild), guild=guild["id"])
    assert_invalid_id(request("POST", url, user=owner, body=body))


def test_a_leading_zero_does_not_open_a_second_rate_limit_bucket() -> None:
    owner = new_user()
    channel = text_channel(create_guild(owner))
    allowed = int(get_settings().rate_messages_per_channel.split("/")[0])
    for n in range(allowed):
        sent = request(
            "POST", f"/channels/{channel}/messages", user=owner, body={"content": f"{n}"}
        )
        assert sent.status == 201, sent
    assert (
        request("POST", f"/channels/{channel}/messages", user=owner, body={"content": "x"}).status
        == 429
    )
    again = request("POST", f"/channels/0{channel}/messages", user=owner, body={"content": "x"})
    assert_invalid_id(again)


def _frame_event(connection_id: str, body: str, user_id: int) -> dict[str, Any]:
    event = load_event("ws-heartbeat.json")
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {"principalId": str(user_id), "userId": str(user_id)}
    event["body"] = body
    return event


@pytest.mark.parametrize(
    "body",
    [
        '{"op":2,"d":{"token":"\\ud800","properties":{}}}',
        '{"op":6,"d":{"token":"x","session_id":"\\udc00","seq":0}}',
        '{"op":3,"d":"\\ud800"}',
        '{"op":4,"d":{"guild_id":"\\ud800","channel_id":null}}',
        '{"op":1,"d":null,"t":"\\ud800"}',
    ],
)
def test_a_lone_surrogate_in_a_frame_is_a_decode_error(body: str) -> None:
    user = new_user()
    result = default_app.lambda_handler(
        _frame_event("c-surrogate", body, user), FakeLambdaContext()
    )
    assert result == {"statusCode": 200}
    (frame,) = frames_posted("c-surrogate")
    assert frame["op"] == 12
    assert (frame["d"]["code"], frame["d"]["status"]) == ("decode_error", 400)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/guilds"), ("PATCH", "/api/v1/users/@me"), ("POST", "/api/v1/auth/register")],
)
@pytest.mark.parametrize("raw", [b"\xff\xfe\x00", b'{"name": "\xc3"}', b"\x07\xb2n"])
def test_a_body_that_is_not_utf8_is_a_400(api: Api, method: str, path: str, raw: bytes) -> None:
    session = api.register(f"u{secrets.token_hex(5)}", password="correct-Horse-battery-9").json()
    reply = api.request(method, path, raw, token=session["access_token"])
    assert reply.status == 400, reply
    assert reply.body["code"] == "invalid"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/guilds", {"name": "guild \ud800"}),
        ("PATCH", "/api/v1/users/@me", {"global_name": "x\udfff"}),
        ("POST", "/api/v1/auth/login", {"login": "\ud800", "password": "correct-Horse-battery-9"}),
    ],
)
def test_a_lone_surrogate_in_a_rest_body_is_a_400(
    api: Api, method: str, path: str, body: dict[str, Any]
) -> None:
    session = api.register(f"u{secrets.token_hex(5)}", password="correct-Horse-battery-9").json()
    reply = api.request(method, path, body, token=session["access_token"])
    assert reply.status == 400, reply
    assert reply.body["code"] == "invalid"
