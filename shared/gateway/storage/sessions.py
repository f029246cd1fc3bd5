"""Gateway sessions, their scope subscriptions, and the connections that carry them.

A session item (under its user) holds the connection it is live on, ``live_from`` (the first log
position live delivery may send it; paused during a replay) and its heartbeat. Subscriptions map
a scope to the sessions that hear it, written once at IDENTIFY and expiring with the session;
the fan-out reads them with a Query per scope and the sessions with BatchGets, so its reads
grow with the recipients, never with the table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from shared.gateway.domain.session import PAUSED, Handoff, SessionRecord, hears
from shared.gateway.storage.gateway_log import cursor_condition
from shared.table import keys
from shared.table.schema import ParleyItem, transaction

__all__ = [
    "Connection",
    "Handoff",
    "Listener",
    "SessionItem",
    "Subscription",
    "attach",
    "create_session",
    "detach",
    "forget_connection",
    "get_connection",
    "get_session",
    "go_live",
    "listeners",
    "live_sessions",
    "record_connection",
    "sessions_of",
    "subscribe",
    "subscribers",
    "touch_heartbeat",
    "unsubscribe",
    "user_sessions",
]


class _LiveIndex(GlobalSecondaryIndex["SessionItem"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class SessionItem(ParleyItem):
    session_id = UnicodeAttribute()
    user_id = NumberAttribute()
    shard = NumberAttribute()
    connection_id = UnicodeAttribute(null=True)
    domain_name = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)
    live_from = NumberAttribute()
    started_after = NumberAttribute()
    scopes = UnicodeSetAttribute()
    connected_ms = NumberAttribute()
    last_heartbeat_ms = NumberAttribute()
    disconnected_ms = NumberAttribute(null=True)
    status = UnicodeAttribute(default="online")
    #: False when IDENTIFY's intents left out GUILD_PRESENCES (absent: true).
    presences = BooleanAttribute(null=True)
    #: The login (access tokens' ``sid``) whose token identified or resumed it, to close it
    #: when that login ends (absent: a token without one).
    login = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    live_index = _LiveIndex()

    def hears(self, t: str) -> bool:
        """Whether the session receives events named ``t`` (presences only if it asked)."""
        return hears(self.presences is not False, t)

    def record(self) -> SessionRecord:
        """The session as plain values, for the gateway session's rules."""
        return SessionRecord(
            session_id=self.session_id,
            user_id=int(self.user_id),
            shard=int(self.shard),
            scopes=frozenset(self.scopes or ()),
            connection_id=self.connection_id,
            domain_name=self.domain_name,
            stage=self.stage,
            live_from=int(self.live_from),
            started_after=int(self.started_after),
            connected_ms=int(self.connected_ms),
            last_heartbeat_ms=int(self.last_heartbeat_ms),
            disconnected_ms=int(self.disconnected_ms) if self.disconnected_ms else None,
            presences=self.presences is not False,
            login=self.login,
        )


class _SubscriptionItem(ParleyItem):
    user_id = NumberAttribute()
    session_id = UnicodeAttribute()


class _ConnectionItem(ParleyItem):
    user_id = NumberAttribute()
    session_id = UnicodeAttribute(null=True)
    connected_ms = NumberAttribute()


@dataclass(frozen=True, slots=True)
class Subscription:
    user_id: int
    session_id: str


@dataclass(frozen=True, slots=True)
class Connection:
    connection_id: str
    user_id: int
    session_id: str | None
    connected_ms: int


def _expiry(ttl_s: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=ttl_s)


def _now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------- connections
def record_connection(connection_id: str, user_id: int, ttl_s: int) -> None:
    """Remember who a connection belongs to ($connect)."""
    _ConnectionItem(
        keys.connection_pk(connection_id),
        keys.connection_sk(),
        user_id=user_id,
        connected_ms=_now_ms(),
        expires_at=timedelta(seconds=ttl_s),
    ).save()


def get_connection(connection_id: str) -> Connection | None:
    try:
        item = _ConnectionItem.get(
            keys.connection_pk(connection_id), keys.connection_sk(), consistent_read=True
        )
    except DoesNotExist:
        return None
    return Connection(connection_id, int(item.user_id), item.session_id, int(item.connected_ms))


def forget_connection(connection_id: str) -> None:
    _ConnectionItem(keys.connection_pk(connection_id), keys.connection_sk()).delete()


# ---------------------------------------------------------------- sessions
def create_session(record: SessionRecord, ttl_s: int) -> SessionItem:
    """A new session, paused (no live delivery until :func:`go_live`), with its subscriptions."""
    session = SessionItem(
        keys.user_pk(record.user_id),
        keys.session_sk(record.session_id),
        session_id=record.session_id,
        user_id=record.user_id,
        shard=record.shard,
        connection_id=record.connection_id,
        domain_name=record.domain_name,
        stage=record.stage,
        live_from=PAUSED,
        started_after=record.started_after,
        scopes=set(record.scopes),
        connected_ms=record.connected_ms,
        last_heartbeat_ms=record.last_heartbeat_ms,
        gsi1pk=keys.live_sessions_gsi1pk(record.shard),
        gsi1sk=keys.session_sk(record.session_id),
        expires_at=timedelta(seconds=ttl_s),
        presences=None if record.presences else False,
        login=record.login,
    )
    session.save(condition=SessionItem.pk.does_not_exist())
    with _SubscriptionItem.batch_write() as batch:
        for scope in record.scopes:
            batch.save(
                _SubscriptionItem(
                    keys.subscription_pk(scope),
                    keys.subscription_sk(record.shard, record.session_id),
                    user_id=record.user_id,
                    session_id=record.session_id,
                    expires_at=session.expires_at,
                )
            )
    if record.connection_id is not None:
        _ConnectionItem(
            keys.connection_pk(record.connection_id),
            keys.connection_sk(),
            user_id=record.user_id,
            session_id=record.session_id,
            connected_ms=record.connected_ms,
            expires_at=session.expires_at,
        ).save()
    return session


def subscribe(session: SessionItem, scope: str) -> None:
    """Add a scope to an existing session (a DM or guild it joined after IDENTIFY).

    Idempotent; the subscription expires with the session. A session that is gone meanwhile
    is left alone.
    """
    _SubscriptionItem(
        keys.subscription_pk(scope),
        keys.subscription_sk(int(session.shard), session.session_id),
        user_id=int(session.user_id),
        session_id=session.session_id,
        expires_at=session.expires_at,
    ).save()
    session.update_if([SessionItem.scopes.add({scope})], SessionItem.pk.exists())


def unsubscribe(session: SessionItem, scope: str) -> None:
    """Take a scope from a session (a guild its user left). Idempotent."""
    _SubscriptionItem(
        keys.subscription_pk(scope), keys.subscription_sk(int(session.shard), session.session_id)
    ).delete()
    session.update_if([SessionItem.scopes.delete({scope})], SessionItem.pk.exists())


def get_session(user_id: int, session_id: str) -> SessionItem | None:
    try:
        return SessionItem.get(
            keys.user_pk(user_id), keys.session_sk(session_id), consistent_read=True
        )
    except DoesNotExist:
        return None


def attach(
    session: SessionItem,
    connection_id: str,
    connected_ms: int,
    domain_name: str,
    stage: str,
    ttl_s: int,
    login: str | None = None,
    heartbeat_ms: int | None = None,
) -> None:
    """Move a session onto a new connection, paused until its replay is done (RESUME), under
    the login of the token that resumed it; its heartbeat clock restarts at ``heartbeat_ms``
    (default: now)."""
    expires = timedelta(seconds=ttl_s)
    session.update(
        actions=[
            SessionItem.connection_id.set(connection_id),
            SessionItem.login.set(login) if login is not None else SessionItem.login.remove(),
            SessionItem.domain_name.set(domain_name),
            SessionItem.stage.set(stage),
            SessionItem.live_from.set(PAUSED),
            SessionItem.connected_ms.set(connected_ms),
            SessionItem.last_heartbeat_ms.set(
                heartbeat_ms if heartbeat_ms is not None else _now_ms()
            ),
            SessionItem.disconnected_ms.remove(),
            SessionItem.gsi1pk.set(keys.live_sessions_gsi1pk(int(session.shard))),
            SessionItem.gsi1sk.set(keys.session_sk(session.session_id)),
            SessionItem.expires_at.set(_expiry(ttl_s)),
        ]
    )
    _ConnectionItem(
        keys.connection_pk(connection_id),
        keys.connection_sk(),
        user_id=int(session.user_id),
        session_id=session.session_id,
        connected_ms=connected_ms,
        expires_at=expires,
    ).save()


def go_live(session: SessionItem, shard: int, replayed_to: int) -> Handoff:
    """Hand the session to live delivery from ``replayed_to + 1``, unless the fan-out has
    already started delivering an entry after ``replayed_to``.

    One transaction: the log's delivery cursor must be at or before ``replayed_to`` and the
    session still on this connection. A fan-out batch that reads this session paused moves the
    cursor (``gateway_log.mark_delivering``) and reads it again; a batch that did not read it
    paused holds entries the replay already had. So every entry after ``replayed_to`` is
    delivered by a batch that reads this session live, and none is both skipped by the replay
    and by live delivery. Entries appended meanwhile but not yet delivered are no obstacle:
    they come live.
    """
    try:
        with transaction() as tx:
            cursor_item, not_past = cursor_condition(shard, replayed_to)
            tx.condition_check(
                type(cursor_item), cursor_item.pk, cursor_item.sk, condition=not_past
            )
            tx.update(
                session,
                actions=[SessionItem.live_from.set(replayed_to + 1)],
                condition=SessionItem.connection_id == session.connection_id,
            )
    except TransactWriteError as exc:
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        reasons = exc.cancellation_reasons
        session_reason = reasons[1] if len(reasons) > 1 else None
        if session_reason is not None and session_reason.code == "ConditionalCheckFailed":
            return Handoff.SESSION_MOVED
        return Handoff.OVERTAKEN
    return Handoff.LIVE


def detach(user_id: int, session_id: str, connection_id: str, ttl_s: int) -> bool:
    """The session's connection closed; it stays resumable until its TTL. False if it had moved."""
    session = SessionItem(keys.user_pk(user_id), keys.session_sk(session_id))
    return session.update_if(
        [
            SessionItem.connection_id.remove(),
            SessionItem.disconnected_ms.set(_now_ms()),
            SessionItem.gsi1pk.remove(),
            SessionItem.gsi1sk.remove(),
            SessionItem.expires_at.set(_expiry(ttl_s)),
        ],
        SessionItem.connection_id == connection_id,
    )


def touch_heartbeat(user_id: int, session_id: str, connection_id: str) -> bool:
    """Record a heartbeat; False when the session is not on this connection."""
    session = SessionItem(keys.user_pk(user_id), keys.session_sk(session_id))
    return session.update_if(
        [SessionItem.last_heartbeat_ms.set(_now_ms())], SessionItem.connection_id == connection_id
    )


def live_sessions(shard: int) -> Iterator[SessionItem]:
    """Every session with a live connection on a shard (for the sweeper, never a request)."""
    yield from SessionItem.live_index.query(keys.live_sessions_gsi1pk(shard))


# ---------------------------------------------------------------- fan-out reads
# The fan-out's hot path reads a subscription and a session item per recipient of every event.
# It reads them as DynamoDB JSON through the table's connection, into small frozen records:
# building pynamodb models of them cost as much as the reads themselves.


@dataclass(frozen=True, slots=True)
class Listener:
    """What delivering to a session needs of its item."""

    session_id: str
    user_id: int
    connection_id: str | None
    domain_name: str | None
    stage: str | None
    live_from: int
    presences: bool

    def hears(self, t: str) -> bool:
        """Whether the session receives events named ``t`` (presences only if it asked)."""
        return hears(self.presences, t)


#: The attributes :class:`Listener` is read from (a projection: a session's scope set alone may
#: be 200 strings).
DELIVERY_ATTRIBUTES = (
    "session_id",
    "user_id",
    "connection_id",
    "domain_name",
    "stage",
    "live_from",
    "presences",
)
#: BatchGetItem's limit of keys per call.
_BATCH_GET = 100


def _text(raw: dict[str, dict[str, str]], name: str) -> str | None:
    value = raw.get(name)
    return value["S"] if value is not None else None


def _listener(raw: dict[str, Any]) -> Listener:
    presences = raw.get("presences")
    return Listener(
        session_id=raw["session_id"]["S"],
        user_id=int(raw["user_id"]["N"]),
        connection_id=_text(raw, "connection_id"),
        domain_name=_text(raw, "domain_name"),
        stage=_text(raw, "stage"),
        live_from=int(raw["live_from"]["N"]),
        presences=presences is None or bool(presences.get("BOOL", True)),
    )


def subscribers(scope: str, shard: int) -> list[Subscription]:
    """The sessions on a shard that listen to a scope (every page of one Query)."""
    table = _SubscriptionItem._get_connection()
    found: list[Subscription] = []
    start: dict[str, Any] | None = None
    while True:
        page = table.query(
            keys.subscription_pk(scope),
            _SubscriptionItem.sk.startswith(keys.subscription_sk_prefix(shard)),
            attributes_to_get=["user_id", "session_id"],
            consistent_read=True,
            exclusive_start_key=start,
        )
        found += [
            Subscription(int(raw["user_id"]["N"]), raw["session_id"]["S"])
            for raw in page.get("Items", ())
        ]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def listeners(subscriptions: Iterable[Subscription]) -> list[Listener]:
    """The sessions behind subscriptions, as delivery reads them (BatchGets, consistent; a
    session that is gone is left out)."""
    wanted = sorted({(s.user_id, s.session_id) for s in subscriptions})
    table = SessionItem._get_connection()
    name = SessionItem.Meta.table_name
    found: list[Listener] = []
    for start in range(0, len(wanted), _BATCH_GET):
        pending: list[dict[str, Any]] = [
            {"PK": {"S": keys.user_pk(u)}, "SK": {"S": keys.session_sk(s)}}
            for u, s in wanted[start : start + _BATCH_GET]
        ]
        while pending:
            page = table.batch_get_item(
                pending,  # type: ignore[arg-type]  # key maps, which pynamodb annotates as str
                consistent_read=True,
                attributes_to_get=list(DELIVERY_ATTRIBUTES),
            )
            found += [_listener(raw) for raw in page.get("Responses", {}).get(name, ())]
            pending = page.get("UnprocessedKeys", {}).get(name, {}).get("Keys", [])
    return found


def sessions_of(subscriptions: Iterable[Subscription]) -> list[SessionItem]:
    """The whole session items behind subscriptions (BatchGet, consistent)."""
    wanted = {(s.user_id, s.session_id) for s in subscriptions}
    if not wanted:
        return []
    return list(
        SessionItem.batch_get(
            [(keys.user_pk(u), keys.session_sk(s)) for u, s in wanted], consistent_read=True
        )
    )


def user_sessions(user_id: int) -> list[SessionItem]:
    return list(
        SessionItem.query(keys.user_pk(user_id), SessionItem.sk.startswith(keys.SESSION_SK_PREFIX))
    )


def connection_open(connection_id: str) -> tuple[type[ParleyItem], str, str, Condition]:
    """A transaction check that a connection has not closed ($disconnect forgets its item)."""
    return (
        _ConnectionItem,
        keys.connection_pk(connection_id),
        keys.connection_sk(),
        _ConnectionItem.pk.exists(),
    )


__all__ += ["connection_open"]
