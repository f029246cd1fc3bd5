"""A scripted Parley backend inside the browser's network layer (Playwright routes).

REST under `/api/v1` and the gateway WebSocket are answered here with the shapes CONTRACT.md
and docs/client.md give, so the UI's screens and flows can be driven in a real Chromium without
the stack. It records what the page sent, so tests can check the wire.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

ME = {"id": "100", "username": "alice", "global_name": "Alice"}
BOB = {"id": "200", "username": "bob", "global_name": "Bob"}
GUILD_ID = "1"
GENERAL, VOICE, TOPICS, RANDOM = "10", "11", "12", "13"
GATEWAY_URL = "ws://gateway.parley.test/"
MEDIA_URL = "ws://media.parley.test/rtc"


def _message(
    mid: int, author: dict[str, Any], content: str, channel: str = GENERAL
) -> dict[str, Any]:
    return {
        "id": str(mid),
        "channel_id": channel,
        "guild_id": GUILD_ID,
        "author": author,
        "content": content,
        "timestamp": "2026-11-24T12:00:00+00:00",
        "edited_timestamp": None,
        "reactions": [],
        "attachments": [],
        "mentions": [],
    }


@dataclass
class FakeBackend:
    """State and recordings of the scripted backend."""

    next_id: int = 5_000_000_000_000_000_000
    seq: int = 0
    session_id: str = "sess-1"
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    gateway_frames: list[dict[str, Any]] = field(default_factory=list)
    media_frames: list[dict[str, Any]] = field(default_factory=list)
    media_urls: list[str] = field(default_factory=list)
    gateway_urls: list[str] = field(default_factory=list)
    log: list[tuple[int, str, Any]] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ws: Any = None
    media: Any = None

    def __post_init__(self) -> None:
        self.messages = {
            GENERAL: [
                _message(self._id(), BOB, "Welcome to Parley, <@100>!"),
                _message(self._id(), ME, "Thanks! Glad to be here."),
                _message(self._id(), BOB, "The voice channel works too, come and talk."),
            ],
            RANDOM: [_message(self._id(), BOB, "random thoughts", RANDOM)],
        }

    def _id(self) -> int:
        self.next_id += 1_000_000
        return self.next_id

    # ------------------------------------------------------------------ gateway
    def guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID,
            "name": "Parley HQ",
            "owner_id": ME["id"],
            "channels": [
                {
                    "id": GENERAL,
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "guild_id": GUILD_ID,
                    "last_message_id": self.messages[GENERAL][-1]["id"],
                    "topic": "Say hello",
                },
                {"id": VOICE, "type": 2, "name": "General", "position": 1, "guild_id": GUILD_ID},
                {"id": TOPICS, "type": 4, "name": "Topics", "position": 2, "guild_id": GUILD_ID},
                {
                    "id": RANDOM,
                    "type": 0,
                    "name": "random",
                    "position": 0,
                    "guild_id": GUILD_ID,
                    "parent_id": TOPICS,
                    "last_message_id": self.messages[RANDOM][-1]["id"],
                },
            ],
            "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "0", "position": 0}],
            "members": [{"user": ME, "roles": []}, {"user": BOB, "roles": []}],
            "presences": [{"user": {"id": BOB["id"]}, "status": "online"}],
            "voice_states": [
                {
                    "guild_id": GUILD_ID,
                    "channel_id": VOICE,
                    "user_id": BOB["id"],
                    "self_mute": False,
                    "self_deaf": False,
                }
            ],
        }

    def dispatch(self, t: str, d: Any) -> None:
        """Send an event (and keep it for resume)."""
        self.seq += 1
        self.log.append((self.seq, t, d))
        if self.ws is not None:
            self.ws.send(json.dumps({"op": 0, "t": t, "s": self.seq, "d": d}))

    def on_gateway(self, ws: Any) -> None:
        self.ws = ws
        self.gateway_urls.append(ws.url)
        ws.on_message(lambda text: self._gateway_frame(ws, text))

    def _gateway_frame(self, ws: Any, text: str | bytes) -> None:
        frame = json.loads(text)
        self.gateway_frames.append(frame)
        op, d = frame.get("op"), frame.get("d")
        if op == 2:
            # READY (with the read state of #general: everything read), then the guild.
            self.dispatch(
                "READY",
                {
                    "session_id": self.session_id,
                    "user": ME,
                    "guilds": [GUILD_ID],
                    "heartbeat_interval": 30_000,
                    "read_state": [
                        {"id": GENERAL, "last_message_id": self.messages[GENERAL][-1]["id"]}
                    ],
                },
            )
            self.dispatch("GUILD_CREATE", self.guild())
        elif op == 1:
            ws.send(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 6:
            for s, t, data in self.log:
                if s > d["seq"]:
                    ws.send(json.dumps({"op": 0, "t": t, "s": s, "d": data}))
            self.dispatch("RESUMED", None)
        elif op == 4:
            state = {
                "guild_id": d["guild_id"],
                "channel_id": d["channel_id"],
                "user_id": ME["id"],
                "self_mute": d["self_mute"],
                "self_deaf": d["self_deaf"],
            }
            self.dispatch("VOICE_STATE_UPDATE", state)
            if d["channel_id"] is not None:
                self.dispatch(
                    "VOICE_SERVER_UPDATE",
                    {
                        "guild_id": d["guild_id"],
                        "channel_id": d["channel_id"],
                        "endpoint": MEDIA_URL,
                        "token": "voice-token",
                    },
                )

    def cut_gateway(self) -> None:
        """Drop the connection the way a network cut would (the session stays resumable)."""
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.close(code=4000, reason="cut")

    def on_media(self, ws: Any) -> None:
        self.media = ws
        self.media_urls.append(ws.url)
        ws.on_message(lambda text: self.media_frames.append(json.loads(text)))

    # ------------------------------------------------------------------ REST
    def on_api(self, route: Any) -> None:
        request = route.request
        url = urlparse(request.url)
        path = url.path.removeprefix("/api/v1")
        body = request.post_data_json if request.post_data else None
        query = parse_qs(url.query)
        # A GET is recorded with its query (e.g. the history cursor) in the body's place.
        self.requests.append((request.method, path, body if request.method != "GET" else query))
        status, answer = self._answer(request.method, path, query, body)
        if status == 204:
            route.fulfill(status=204)
        else:
            route.fulfill(status=status, json=answer)

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        auth = {
            "user": ME,
            "access_token": "access-1",
            "refresh_token": "refresh-1",
            "token_type": "Bearer",
            "expires_in": 900,
        }
        if (method, path) == ("GET", "/auth/oidc/providers"):
            return 200, {"providers": [{"id": "github", "name": "GitHub"}]}
        if (method, path) == ("POST", "/auth/login"):
            if body.get("password") != "correct horse":
                return 401, {
                    "code": "invalid_credentials",
                    "message": "Wrong username or password.",
                }
            return 200, auth
        if (method, path) == ("GET", "/users/@me"):
            return 200, ME
        if (method, path) == ("GET", "/gateway"):
            return 200, {"url": GATEWAY_URL}
        if (method, path) == ("GET", f"/guilds/{GUILD_ID}/members"):
            return 200, self.guild()["members"]
        if (method, path) == ("GET", f"/guilds/{GUILD_ID}/roles"):
            return 200, self.guild()["roles"]
        if (method, path) == ("GET", f"/guilds/{GUILD_ID}/bans"):
            return 200, []
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "GET":
            history = list(reversed(self.messages.get(m.group(1), [])))
            if "before" in query:
                history = [x for x in history if int(x["id"]) < int(query["before"][0])]
            return 200, history[: int(query.get("limit", ["50"])[0])]
        if m and method == "POST":
            message = _message(self._id(), ME, body["content"], m.group(1))
            if body.get("reply_to"):
                message["reply_to"] = body["reply_to"]
            for a in body.get("attachments", []):
                message["attachments"].append(
                    {
                        "id": str(self._id()),
                        "filename": a["filename"],
                        "size": 2,
                        "url": f"http://storage.parley.test/{a['uploaded_filename']}",
                        "content_type": "text/plain",
                    }
                )
            self.messages.setdefault(m.group(1), []).append(message)
            self.dispatch("MESSAGE_CREATE", message)
            return 201, message
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
        if m and method == "PATCH":
            for message in self.messages.get(m.group(1), []):
                if message["id"] == m.group(2):
                    message["content"] = body["content"]
                    message["edited_timestamp"] = "2026-11-24T12:05:00+00:00"
                    self.dispatch("MESSAGE_UPDATE", message)
                    return 200, message
            return 404, {"code": "unknown_message", "message": "Unknown message."}
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", path)
        if m and method == "PUT":
            from urllib.parse import unquote

            self.dispatch(
                "MESSAGE_REACTION_ADD",
                {
                    "user_id": ME["id"],
                    "channel_id": m.group(1),
                    "message_id": m.group(2),
                    "guild_id": GUILD_ID,
                    "emoji": {"name": unquote(m.group(3))},
                },
            )
            return 204, None
        m = re.fullmatch(r"/invites/([\w-]+)", path)
        if m and method == "POST":
            if m.group(1) != "join-us":
                return 404, {
                    "code": "unknown_invite",
                    "message": "That invite is invalid or has expired.",
                }
            guild = {
                "id": "2",
                "name": "Book Club",
                "owner_id": BOB["id"],
                "roles": [{"id": "2", "name": "@everyone", "permissions": "104189505"}],
                "channels": [{"id": "20", "type": 0, "name": "books", "guild_id": "2"}],
            }
            self.messages.setdefault("20", [])
            return 200, guild
        if re.fullmatch(r"/channels/\d+/messages/\d+/ack", path) and method == "POST":
            return 204, None
        if re.fullmatch(r"/channels/\d+/typing", path):
            return 204, None
        m = re.fullmatch(r"/channels/(\d+)/attachments", path)
        if m and method == "POST":
            return 200, {
                "attachments": [
                    {
                        "id": f["id"],
                        "upload_url": f"http://storage.parley.test/upload/{f['id']}",
                        "upload_filename": f"uploads/{f['id']}/{f['filename']}",
                    }
                    for f in body["files"]
                ]
            }
        return 404, {"code": "not_found", "message": f"No route {method} {path} in the fake."}

    def install(self, page: Any) -> None:
        page.route("**/api/v1/**", self.on_api)
        page.route(
            "http://storage.parley.test/**", lambda route: route.fulfill(status=200, body="")
        )
        page.route_web_socket(re.compile(r"^ws://gateway\.parley\.test/.*"), self.on_gateway)
        page.route_web_socket(re.compile(r"^ws://media\.parley\.test/.*"), self.on_media)
