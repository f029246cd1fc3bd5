"""The fan-out: table stream records in, gateway events sequenced and delivered out.

Two kinds of record matter. An *outbox* item (a change's event) is appended to every gateway log
shard, exactly once: the append's transaction marks the outbox item as sequenced on that shard,
so a retried batch skips what it already appended. A *log* item (a sequenced event) is delivered
to the live sessions subscribed to its scope, from their ``live_from`` on, to those who may see
its channel, each session's frames in log order. A 410 detaches that session's connection only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from shared.config import get_settings
from shared.gateway.directory import get_directory
from shared.gateway.domain.joins import joined_scope, left_scope
from shared.gateway.domain.protocol import dispatch_parts
from shared.gateway.domain.session import is_paused
from shared.gateway.lifecycle import disconnected
from shared.gateway.poster import Delivery, deliver, endpoint
from shared.gateway.storage import gateway_log, sessions
from shared.gateway.storage.gateway_log import LogEntry, entry_from_image
from shared.gateway.view_cache import Audience, ViewCache, audience
from shared.observability import logger
from shared.outbox.storage.outbox import pending_from_record
from shared.table import keys

__all__ = ["FanoutReport", "handle_records"]

T = TypeVar("T")

#: The container's answers to who may see a channel (kept while its log shows no change).
VIEWS = ViewCache()


@dataclass
class FanoutReport:
    sequenced: int = 0
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: int = 0
    #: The sequence numbers of the records that could not be read (reported to the mapping).
    failures: list[str] = field(default_factory=list)

    def batch_item_failures(self) -> dict[str, list[dict[str, str]]]:
        """The answer that tells the event source mapping which records to retry."""
        return {"batchItemFailures": [{"itemIdentifier": s} for s in self.failures]}


def _deliveries(entries: Sequence[LogEntry], shard: int) -> list[Delivery]:
    """Who gets which of these log entries, in order, per live connection."""
    directory = get_directory()
    VIEWS.observe(shard, entries)
    joined = _apply_joins(entries, shard)
    left = _leaves(entries)
    by_scope: dict[str, list[LogEntry]] = defaultdict(list)
    for entry in entries:
        for scope in entry.event.scopes():
            by_scope[scope].append(entry)
    subscriptions = {scope: sessions.subscribers(scope, shard) for scope in by_scope}
    live = _live_listeners(
        [sub for subs in subscriptions.values() for sub in subs],
        shard,
        max(entry.position for entry in entries),
    )
    frames: dict[str, list[tuple[int, int, bytes]]] = defaultdict(list)  # position, part, body
    endpoints: dict[str, str] = {}
    # An event of several scopes (a presence) reaches a session once, through the first of them.
    reached: set[tuple[str, int]] = set()
    audiences: dict[tuple[str, int, int, str, tuple[int, int | None]], Audience] = {}
    for scope, scope_entries in by_scope.items():
        listeners = [live[sub.session_id] for sub in subscriptions[scope] if sub.session_id in live]
        for entry in scope_entries:
            event = entry.event.as_heard_in(scope)
            receivers = [
                s
                for s in listeners
                if entry.position >= s.live_from
                and s.hears(event.t)
                and _in_scope((s.user_id, scope), entry.position, joined, left)
            ]
            if event is not entry.event:
                receivers = [s for s in receivers if (s.session_id, entry.position) not in reached]
                reached.update((s.session_id, entry.position) for s in receivers)
            heard = [(event, receivers)]
            if event.channel_id is not None and event.guild_id is not None and receivers:
                # Asked once per channel and scope for all its listeners (a batch is mostly
                # messages of a few channels), not once per entry; answered from what the
                # container kept unless this batch or a gap in the log may have changed it.
                where = (scope, event.guild_id, event.channel_id, event.t, event.audience_key)
                if where not in audiences:
                    everyone = {s.user_id for s in listeners}
                    audiences[where] = audience(directory, event, everyone, (VIEWS, shard))
                heard = [
                    (told, [s for s in receivers if s.user_id in users])
                    for told, users in audiences[where].told(event)
                ]
            for told, sessions_told in heard:
                if not sessions_told:
                    continue
                bodies = [
                    json.dumps(
                        LogEntry(
                            entry.position, told if d is told.d else replace(told, d=d)
                        ).frame(),
                        separators=(",", ":"),
                        ensure_ascii=False,
                    ).encode()
                    for d in dispatch_parts(told.t, told.d)
                ]
                for session in sessions_told:
                    connection = str(session.connection_id)
                    frames[connection] += ((entry.position, i, b) for i, b in enumerate(bodies))
                    endpoints[connection] = endpoint(str(session.domain_name), str(session.stage))
    _apply_leaves(left, joined, shard)
    return [
        Delivery(conn, endpoints[conn], [body for *_, body in sorted(items)])
        for conn, items in frames.items()
    ]


def _live_listeners(
    subscriptions: Sequence[sessions.Subscription], shard: int, upto: int
) -> dict[str, sessions.Listener]:
    """The sessions behind these subscriptions that have a connection, by session id, as
    delivering the log up to ``upto`` must see them (decision 14).

    A session paused for its handoff to live delivery is the one kind this batch could miss:
    its handoff may commit after this read, from a replay that ended before ``upto``. So when
    the read finds one, the delivery cursor is moved to ``upto`` (after that, such a handoff
    fails and its command replays on) and the paused sessions are read again (one that went
    live before the cursor moved is read live). A read that finds none needs no write: a
    session that pauses after it replays a log that already holds these entries, and so does
    one the command subscribes to a scope its replay joined (``GatewaySession.replay`` replays
    once more after such a subscription)."""
    found = sessions.listeners(subscriptions)
    live = {s.session_id: s for s in found if s.connection_id}
    paused = [s for s in live.values() if is_paused(s.live_from)]
    if paused:
        gateway_log.mark_delivering(shard, upto)
        for s in paused:
            del live[s.session_id]
        again = sessions.listeners(sessions.Subscription(s.user_id, s.session_id) for s in paused)
        live.update((s.session_id, s) for s in again if s.connection_id)
    return live


def _apply_joins(entries: Sequence[LogEntry], shard: int) -> dict[tuple[int, str], int]:
    """Subscribe users' sessions on this shard to the DMs and guilds these entries announce,
    before the batch's subscribers are read; ``(user, scope) -> position`` of each join, so
    that nothing of the scope from before the join reaches them."""
    joined: dict[tuple[int, str], int] = {}
    for entry in entries:
        found = joined_scope(entry.event)
        if found is None or found in joined:
            continue
        joined[found] = entry.position
        user_id, scope = found
        for session in sessions.user_sessions(user_id):
            if int(session.shard) == shard and scope not in (session.scopes or set()):
                sessions.subscribe(session, scope)
    return joined


def _in_scope(
    key: tuple[int, str],
    position: int,
    joined: dict[tuple[int, str], int],
    left: dict[tuple[int, str], int],
) -> bool:
    """Whether a user is in a scope at a log position, given this batch's first join and first
    leave of it (each user-scoped: neither is an event of the scope itself)."""
    join, leave = joined.get(key), left.get(key)
    if leave is None:
        return join is None or position > join
    if join is None:
        return position < leave
    if join < leave:
        return join < position < leave
    return position < leave or position > join


def _leaves(entries: Sequence[LogEntry]) -> dict[tuple[int, str], int]:
    """``(user, scope) -> position`` of each guild these entries tell a user they left: nothing
    of the scope after it reaches them (a rejoin later in the batch is a join after it)."""
    left: dict[tuple[int, str], int] = {}
    for entry in entries:
        found = left_scope(entry.event)
        if found is not None and found not in left:
            left[found] = entry.position
    return left


def _apply_leaves(
    left: dict[tuple[int, str], int], joined: dict[tuple[int, str], int], shard: int
) -> None:
    """Unsubscribe the leavers' sessions on this shard, unless they joined again after leaving
    (every shard's log holds the leave: each shard's fan-out takes its own sessions out, at
    the leave's place in its own log)."""
    for (user_id, scope), position in left.items():
        if joined.get((user_id, scope), 0) > position:
            continue
        for session in sessions.user_sessions(user_id):
            if int(session.shard) == shard and scope in (session.scopes or set()):
                sessions.unsubscribe(session, scope)


def _readable(
    records: Iterable[dict[str, Any]],
    read: Callable[[dict[str, Any]], T | None],
    report: FanoutReport,
) -> list[tuple[dict[str, Any], T]]:
    """What ``read`` makes of each record, in order; a record it cannot read (an event of a
    kind this code does not know, written by a newer deployment; a damaged item) is reported
    failed, and the others go on without it. Reading is pure: any error is the record's own."""
    found = []
    for record in records:
        try:
            value = read(record)
        except Exception:
            sequence_number = str(record.get("dynamodb", {}).get("SequenceNumber"))
            logger.exception("unreadable stream record", extra={"sequence": sequence_number})
            report.failures.append(sequence_number)
            continue
        if value is not None:
            found.append((record, value))
    return found


def _sequence(records: Iterable[dict[str, Any]], report: FanoutReport) -> None:
    pending = [p for _, p in _readable(records, pending_from_record, report)]
    if not pending:
        return
    settings = get_settings()
    ttl = settings.resume_window_s + 60
    for shard in range(settings.gateway_log_shards):
        report.sequenced += len(gateway_log.append(shard, pending, ttl))


def _log_entry(record: dict[str, Any]) -> tuple[int, LogEntry] | None:
    image = record.get("dynamodb", {}).get("NewImage") or {}
    entry = entry_from_image(image)
    return None if entry is None else (keys.log_shard(image["PK"]["S"]), entry)


def handle_records(records: Sequence[dict[str, Any]]) -> FanoutReport:
    """Process one stream batch: sequence its outbox events, deliver its log events.

    A record that cannot be read is left out and reported (:attr:`FanoutReport.failures`);
    the records after it are processed. The event source mapping then retries from the failed
    record, so what follows it runs again, which is safe: an event already appended to a shard's
    log is not appended again (its outbox item is marked in the append's transaction), and a
    frame delivered again carries an ``s`` the client already has, which it drops. Any other
    error (the store) fails the whole batch, retried the same way.
    """
    report = FanoutReport()
    inserts = [r for r in records if r.get("eventName") == "INSERT"]
    _sequence(inserts, report)
    entries_by_shard: dict[int, list[LogEntry]] = defaultdict(list)
    for _, (shard, entry) in _readable(inserts, _log_entry, report):
        entries_by_shard[shard].append(entry)
    if not entries_by_shard:
        return report
    deliveries = [d for shard, es in entries_by_shard.items() for d in _deliveries(es, shard)]
    for result in deliver(deliveries):
        report.delivered += result.sent
        report.failed += int(result.failed)
        if result.gone:
            report.gone.append(result.connection_id)
            _forget(result.connection_id)
    return report


def _forget(connection_id: str) -> None:
    """A 410: that connection is gone, as at its $disconnect; its session stays resumable until
    its window ends."""
    disconnected(connection_id)
    logger.info("stale connection removed", extra={"connection_id": connection_id})
