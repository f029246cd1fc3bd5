"""The gateway's session commands: IDENTIFY, RESUME, HEARTBEAT, and the handoff to live delivery.

A new or resumed session starts paused: what it must receive first (READY and GUILD_CREATE, or
the replay of what it missed) is posted by the command, then :func:`_replay_and_go_live` hands it
to the fan-out from the next log position, replaying on while the fan-out has already delivered
past the replay. So a session never misses a log event and never receives one out of order.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.domain.events import EventName
from shared.domain.presence import Status, parse_status, wants_presences
from shared.errors import Conflict, Invalid, Unauthorized
from shared.gateway.directory import get_directory
from shared.gateway.events import Scope
from shared.gateway.joins import joined_scope, left_scope
from shared.gateway.protocol import Frame, Op, dispatch_parts, parts_of
from shared.gateway.router import GatewayRequest
from shared.gateway.session import ResumeVerdict, resume_verdict
from shared.gateway.view_cache import Audience, audience
from shared.observability import logger
from shared.services import presence
from shared.storage import gateway_log, sessions
from shared.storage.gateway_log import LogEntry

if TYPE_CHECKING:
    from shared.auth.jwks import IssuerKeys

__all__ = ["heartbeat", "identify", "presence_update", "resume"]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _session_ttl_s() -> int:
    settings = get_settings()
    return int(settings.gateway_max_connection_s) + settings.resume_window_s + 60


def _shard_for(user_id: int) -> int:
    return user_id % get_settings().gateway_log_shards


def _dispatch(t: str, s: int, d: Any) -> Frame:
    return Frame(op=Op.DISPATCH, t=t, s=s, d=d)


def _visible(
    entries: Iterable[LogEntry],
    user_id: int,
    scopes: set[str],
    hears: Callable[[str], bool],
) -> list[LogEntry]:
    """The entries of a session's scopes that its user may see (and the session hears). A DM or
    guild the user joins on the way is added to ``scopes``, a guild they leave taken out (see
    ``shared/gateway/joins.py``)."""
    directory = get_directory()
    kept = []
    # Whether the user sees a channel, asked once per channel (a replay is mostly messages of a
    # few channels: one permission check per entry made long replays outlast the function).
    audiences: dict[tuple[int, int, str, tuple[int, int | None]], Audience] = {}
    for entry in entries:
        joined = joined_scope(entry.event)
        if joined is not None and joined[0] == user_id:
            scopes.add(joined[1])
        left = left_scope(entry.event)
        if left is not None and left[0] == user_id:
            scopes.discard(left[1])  # nothing later of the guild (its GUILD_DELETE is theirs)
        event = entry.event.for_session(scopes)
        if event is None or not hears(event.t):
            continue
        if event.channel_id is not None and event.guild_id is not None:
            where = (event.guild_id, event.channel_id, event.t, event.audience_key)
            if where not in audiences:
                audiences[where] = audience(directory, event, {user_id})
            # as the fan-out tells them: whole, without what they lack, hidden, or nothing
            told = [e for e, users in audiences[where].told(event) if user_id in users]
            if not told:
                continue
            event = told[0]
        kept.append(entry if event is entry.event else LogEntry(entry.position, event))
    return kept


def _replay_and_go_live(request: GatewayRequest, session: sessions.SessionItem, after: int) -> int:
    """Post every log event after ``after`` to the session, then hand it to live delivery.

    Returns the position replayed to. If the session leaves this connection meanwhile (it
    closed, or resumed elsewhere), the replay stops: the session's next connection resumes it.
    The handoff fails only when the fan-out has started delivering entries after the replay's
    end (its cursor, not the log's head: appends the fan-out has not reached come live). A
    round that subscribes the session to a scope it joined on the way replays once more before
    the handoff (decision 14). If
    that keeps happening for longer than ``gateway_handoff_s``, the client is sent RECONNECT:
    it resumes from what it has on a new connection (a session left paused behind an open
    connection would hear nothing, ever).
    """
    shard = int(session.shard)
    scopes = set(session.scopes)
    deadline = time.monotonic() + get_settings().gateway_handoff_s
    while True:
        if time.monotonic() > deadline:
            logger.warning(
                "handoff overtaken by the fan-out: RECONNECT",
                extra={"session_id": session.session_id, "replayed_to": after},
            )
            request.reply(Frame(op=Op.RECONNECT))
            return after
        until = gateway_log.head(shard)
        missed = _visible(
            gateway_log.read_after(shard, after, until),
            int(session.user_id),
            scopes,
            session.hears,
        )
        replay = [
            _dispatch(e.event.t, e.position, d)
            for e in missed
            for d in dispatch_parts(e.event.t, e.event.d)
        ]
        if not request.reply_all(replay):
            return after  # the connection closed: its next one resumes from what it got
        joined = scopes - set(session.scopes or ())
        for scope in joined:
            sessions.subscribe(session, scope)  # before live delivery can start
        for scope in set(session.scopes or ()) - scopes:
            sessions.unsubscribe(session, scope)
        after = until
        if joined:
            # A fan-out batch that read the scope's subscribers before this subscription did
            # not see the session paused, so it left the cursor alone: its entries are in the
            # log by now, and the next round replays them before the handoff.
            continue
        if sessions.go_live(session, shard, until) is not sessions.Handoff.OVERTAKEN:
            return until


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
    from shared.auth.gateway import verify_live_token  # see issuer_keys

    claims = verify_live_token(issuer_keys(), token)
    if str(claims.get("sub")) != str(request.user_id):
        raise Unauthorized("The token is not this connection's user's.", code="token_mismatch")
    login = claims.get("sid")
    return request.user_id, str(login) if login is not None else None


def identify(request: GatewayRequest, d: Any) -> None:
    """IDENTIFY: a new session, READY, one GUILD_CREATE per guild, then live events."""
    if not isinstance(d, dict):
        raise Invalid("IDENTIFY takes an object.", code="invalid_payload")
    user_id, login = _user_from(request, d.get("token"))
    status = parse_status(d["presence"]) if d.get("presence") is not None else None
    hears_presences = wants_presences(d.get("intents"))
    connection = sessions.get_connection(request.connection_id)
    if connection is not None and connection.session_id is not None:
        raise Conflict("This connection already has a session.", code="already_identified")
    directory = get_directory()
    guild_ids = directory.guild_ids(user_id)
    scopes = [Scope.guild(g) for g in guild_ids]
    scopes += [Scope.dm(c) for c in directory.dm_channel_ids(user_id)]
    scopes.append(Scope.user(user_id))
    # Counted before READY (a client that has READY and closes its other connection never
    # shows its user offline in between) and before the session (a failure here leaves none,
    # so IDENTIFY can be retried; a connection counted without one leaves at $disconnect).
    presence.connected(user_id, request.connection_id, status)
    shard = _shard_for(user_id)
    started_after = gateway_log.head(shard)
    settings = get_settings()
    session = sessions.create_session(
        session_id=secrets.token_hex(16),
        user_id=user_id,
        shard=shard,
        scopes=scopes,
        connection_id=request.connection_id,
        connected_ms=request.connected_ms or _now_ms(),
        domain_name=request.domain_name,
        stage=request.stage,
        started_after=started_after,
        ttl_s=_session_ttl_s(),
        presences=hears_presences,
        login=login,
    )
    ready = _dispatch(
        EventName.READY,
        started_after,
        {
            "v": 1,
            "session_id": session.session_id,
            "user": directory.user(user_id),
            "guilds": [str(g) for g in guild_ids],
            "heartbeat_interval": settings.heartbeat_interval_ms,
            "resume_window": settings.resume_window_s,
            "read_state": directory.read_state(user_id, guild_ids),
        },
    )
    guilds = []
    for guild_id in guild_ids:
        snapshot = directory.guild_snapshot(guild_id, user_id)
        if not hears_presences:
            snapshot.pop("presences", None)
        guilds += [_dispatch(EventName.GUILD_CREATE, started_after, p) for p in parts_of(snapshot)]
    if request.reply_all([ready, *guilds]):
        _replay_and_go_live(request, session, started_after)


def resume(request: GatewayRequest, d: Any) -> Frame | None:
    """RESUME: replay what the session missed, exactly once and in order, then RESUMED.

    A session that cannot be resumed gets INVALID_SESSION (``d = false``): identify again.
    """
    if not isinstance(d, dict) or not isinstance(d.get("session_id"), str):
        raise Invalid("RESUME takes {token, session_id, seq}.", code="invalid_payload")
    seq = d.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise Invalid("seq is the last sequence number received.", code="invalid_payload")
    user_id, login = _user_from(request, d.get("token"))
    settings = get_settings()
    session = sessions.get_session(user_id, d["session_id"])
    shard = int(session.shard) if session is not None else _shard_for(user_id)
    verdict = resume_verdict(
        session.rules_view() if session is not None else None,
        user_id=user_id,
        seq=seq,
        head=gateway_log.head(shard),
        oldest_kept=gateway_log.oldest_kept(shard),
        now_ms=_now_ms(),
        window_ms=settings.resume_window_s * 1000,
    )
    if verdict is not ResumeVerdict.RESUME or session is None:
        return Frame(op=Op.INVALID_SESSION, d=False)
    sessions.attach(
        session,
        request.connection_id,
        request.connected_ms or _now_ms(),
        request.domain_name,
        request.stage,
        _session_ttl_s(),
        login=login,
    )
    session.connection_id = request.connection_id
    presence.connected(user_id, request.connection_id)
    reached = _replay_and_go_live(request, session, seq)
    return _dispatch(EventName.RESUMED, reached, {"session_id": session.session_id})


def heartbeat(request: GatewayRequest, d: Any) -> Frame:
    """HEARTBEAT: acknowledged; an identified session's heartbeat clock is reset."""
    if d is not None and (isinstance(d, bool) or not isinstance(d, int)):
        raise Invalid("HEARTBEAT carries the last sequence number or null.", code="invalid_payload")
    connection = sessions.get_connection(request.connection_id)
    if connection is not None and connection.session_id is not None:
        sessions.touch_heartbeat(connection.user_id, connection.session_id, request.connection_id)
    return Frame(op=Op.HEARTBEAT_ACK)


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
