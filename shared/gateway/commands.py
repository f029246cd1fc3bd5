"""The gateway's session commands: IDENTIFY, RESUME, HEARTBEAT and PRESENCE_UPDATE.

The shell around :class:`~shared.gateway.domain.session.GatewaySession`, which holds the
rules of the first three: each reads what the session needs (the session item, the log, the
directory), feeds it, runs what it answers (frames through @connections, writes to the store)
and feeds it the outcomes, until it is done.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.errors import Invalid, Unauthorized
from shared.gateway.directory import get_directory
from shared.gateway.domain.protocol import Frame
from shared.gateway.domain.session import (
    Attach,
    Command,
    CountConnected,
    CreateSession,
    GatewaySession,
    GoLive,
    Heard,
    Heartbeat,
    Identify,
    Link,
    ReadLog,
    Replay,
    Resume,
    Send,
    Subscribe,
    Timing,
    TouchHeartbeat,
    Unsubscribe,
)
from shared.gateway.router import GatewayRequest
from shared.gateway.storage import gateway_log, sessions
from shared.gateway.view_cache import Audience, audience
from shared.observability import logger
from shared.presence import presence
from shared.presence.domain.presence import Status, parse_status

if TYPE_CHECKING:
    from shared.auth.jwks import IssuerKeys

__all__ = ["heartbeat", "identify", "presence_update", "resume"]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _new_session(request: GatewayRequest) -> GatewaySession:
    settings = get_settings()
    timing = Timing(
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        resume_window_s=settings.resume_window_s,
        handoff_s=settings.gateway_handoff_s,
        session_ttl_s=int(settings.gateway_max_connection_s) + settings.resume_window_s + 60,
        log_shards=settings.gateway_log_shards,
    )
    link = Link(
        request.connection_id,
        request.domain_name,
        request.stage,
        request.connected_ms or _now_ms(),
    )
    return GatewaySession(link, timing)


def _told(heard: Iterable[Heard], user_id: int) -> list[Heard]:
    """Of each channel's event, what the user may see of it, as the fan-out tells them: whole,
    without what they lack, hidden, or nothing."""
    directory = get_directory()
    kept = []
    # Whether the user sees a channel, asked once per channel (a replay is mostly messages of a
    # few channels: one permission check per entry made long replays outlast the function).
    audiences: dict[tuple[int, int, str, tuple[int, int | None]], Audience] = {}
    for entry in heard:
        event = entry.event
        if event.channel_id is not None and event.guild_id is not None:
            where = (event.guild_id, event.channel_id, event.t, event.audience_key)
            if where not in audiences:
                audiences[where] = audience(directory, event, {user_id})
            told = [e for e, users in audiences[where].told(event) if user_id in users]
            if not told:
                continue
            entry = Heard(entry.position, told[0])
        kept.append(entry)
    return kept


@dataclass
class _Shell:
    """Runs one frame's session commands, keeping the session item the writes after a
    :class:`CreateSession` or :class:`Attach` update (the handoff's condition is on the
    connection that item holds)."""

    request: GatewayRequest
    session: GatewaySession
    item: sessions.SessionItem | None = None

    def run(self, commands: Sequence[Command]) -> None:
        """Run commands in order, and the ones the session answers their outcomes with."""
        pending = list(commands)
        while pending:
            then = self._run_one(pending.pop(0))
            if then is None:  # the connection closed: nothing after it is run
                break
            pending = then + pending
        if self.session.outcome is Replay.RECONNECT:
            logger.warning(
                "handoff overtaken by the fan-out: RECONNECT",
                extra={
                    "session_id": self._item().session_id,
                    "replayed_to": self.session.replayed_to,
                },
            )

    def _run_one(self, command: Command) -> list[Command] | None:
        """Run one command; the commands its outcome leads to, or None to stop."""
        request, session = self.request, self.session
        match command:
            case Send(frames):
                if not request.reply_all(frames):
                    session.closed()
                    return None
            case CountConnected(user_id, connection_id, status):
                presence.connected(user_id, connection_id, status)
            case CreateSession(record, ttl_s):
                self.item = sessions.create_session(record, ttl_s)
            case Attach(record, ttl_s):
                item = self._item()
                sessions.attach(
                    item,
                    request.connection_id,
                    record.connected_ms,
                    request.domain_name,
                    request.stage,
                    ttl_s,
                    login=record.login,
                    heartbeat_ms=record.last_heartbeat_ms,
                )
                item.connection_id = request.connection_id
            case ReadLog(shard, after):
                until = gateway_log.head(shard)
                heard = session.hear(gateway_log.read_after(shard, after, until), until)
                return session.replay(_told(heard, int(self._item().user_id)), _now_ms())
            case Subscribe(scope):
                sessions.subscribe(self._item(), scope)
            case Unsubscribe(scope):
                sessions.unsubscribe(self._item(), scope)
            case GoLive(replayed_to):
                item = self._item()
                handoff = sessions.go_live(item, int(item.shard), replayed_to)
                return session.handed_off(handoff, _now_ms())
            case TouchHeartbeat(user_id, session_id, connection_id):
                sessions.touch_heartbeat(user_id, session_id, connection_id)
        return []

    def _item(self) -> sessions.SessionItem:
        if self.item is None:
            raise RuntimeError("a session command before the session was read or created")
        return self.item


def issuer_keys() -> IssuerKeys:
    """The issuer's published keys. Token checks (PyJWT, cryptography) are imported by the
    frames that check a token, IDENTIFY and RESUME, not by the heartbeats and other frames that
    make up most of what this function is sent."""
    from shared.auth import jwks

    return jwks.issuer_keys()


def _user_from(request: GatewayRequest, token: Any) -> tuple[int, str | None]:
    """The connection's user and the login of the frame's token, which must be a valid one of
    that user's, of a login that has not ended."""
    if request.user_id is None:
        raise Unauthorized("The connection is not authenticated.", code="unauthorized")
    if not isinstance(token, str) or not token:
        raise Invalid("A token is required.", code="invalid_token")
    from shared.auth.gateway_access import verify_live_token  # see issuer_keys

    claims = verify_live_token(issuer_keys(), token)
    if str(claims.get("sub")) != str(request.user_id):
        raise Unauthorized("The token is not this connection's user's.", code="token_mismatch")
    login = claims.get("sid")
    return request.user_id, str(login) if login is not None else None


def identify(request: GatewayRequest, d: Any) -> None:
    """IDENTIFY: a new session, READY, one GUILD_CREATE per guild, then live events."""
    hello = Identify.parse(d)
    user_id, login = _user_from(request, hello.token)
    connection = sessions.get_connection(request.connection_id)
    session = _new_session(request)
    shell = _Shell(request, session)
    identified = connection is not None and connection.session_id is not None
    shell.run(session.identify(hello, user_id=user_id, login=login, identified=identified))
    directory = get_directory()
    guild_ids = directory.guild_ids(user_id)
    shell.run(
        session.start(
            session_id=secrets.token_hex(16),
            head=gateway_log.head(session.shard(user_id)),
            guild_ids=guild_ids,
            dm_channel_ids=directory.dm_channel_ids(user_id),
            now_ms=_now_ms(),
        )
    )
    shell.run(
        session.welcome(
            user=directory.user(user_id),
            read_state=directory.read_state(user_id, guild_ids),
            guilds=[directory.guild_snapshot(g, user_id) for g in guild_ids],
            now_ms=_now_ms(),
        )
    )


def resume(request: GatewayRequest, d: Any) -> Frame | None:
    """RESUME: replay what the session missed, exactly once and in order, then RESUMED.

    A session that cannot be resumed gets INVALID_SESSION (``d = false``): identify again.
    """
    ask = Resume.parse(d)
    user_id, login = _user_from(request, ask.token)
    session = _new_session(request)
    item = sessions.get_session(user_id, ask.session_id)
    stored = item.record() if item is not None else None
    shard = stored.shard if stored is not None else session.shard(user_id)
    commands = session.resume(
        ask,
        user_id=user_id,
        login=login,
        stored=stored,
        head=gateway_log.head(shard),
        oldest_kept=gateway_log.oldest_kept(shard),
        now_ms=_now_ms(),
    )
    _Shell(request, session, item).run(commands)
    return session.answer


def heartbeat(request: GatewayRequest, d: Any) -> Frame | None:
    """HEARTBEAT: acknowledged; an identified session's heartbeat clock is reset."""
    beat = Heartbeat.parse(d)
    connection = sessions.get_connection(request.connection_id)
    session = _new_session(request)
    identified_as = (
        (connection.user_id, connection.session_id)
        if connection is not None and connection.session_id is not None
        else None
    )
    _Shell(request, session).run(session.heartbeat(beat, identified_as=identified_as))
    return session.answer


def presence_update(request: GatewayRequest, d: Any) -> None:
    """PRESENCE_UPDATE (op 3): the user's chosen status, for every one of their sessions.

    Nothing is answered: the change comes back as PRESENCE_UPDATE to everyone who shares a guild
    with the user (their own sessions included) when it changes what others see.
    """
    status: Status = parse_status(d)
    connection = sessions.get_connection(request.connection_id)
    if connection is None or connection.session_id is None:
        raise Invalid("IDENTIFY before PRESENCE_UPDATE.", code="not_identified")
    presence.choose(connection.user_id, status)
