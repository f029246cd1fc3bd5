"""The fan-out's reads of subscriptions and sessions, in DynamoDB JSON, against moto."""

from __future__ import annotations

from shared.gateway.domain.session import PAUSED, SessionRecord
from shared.gateway.storage import sessions
from shared.gateway.storage.sessions import Listener, Subscription

SCOPE = "G#42"


def _session(n: int, *, shard: int = 0, presences: bool = True) -> sessions.SessionItem:
    record = SessionRecord(
        session_id=f"s{n:04d}",
        user_id=1000 + n % 7,  # several sessions per user
        shard=shard,
        scopes=frozenset([SCOPE]),
        connection_id=f"conn-{n}",
        domain_name="gw.example.com",
        stage="prod",
        live_from=PAUSED,
        started_after=0,
        connected_ms=1,
        last_heartbeat_ms=1,
        presences=presences,
    )
    return sessions.create_session(record, ttl_s=600)


def test_subscribers_of_a_scope_on_a_shard(table: str) -> None:
    for n in range(5):
        _session(n)
    _session(5, shard=1)
    found = sessions.subscribers(SCOPE, 0)
    assert sorted(found, key=lambda s: s.session_id) == [
        Subscription(1000 + n % 7, f"s{n:04d}") for n in range(5)
    ]
    assert sessions.subscribers(SCOPE, 1) == [Subscription(1005, "s0005")]
    assert sessions.subscribers("G#43", 0) == []


def test_listeners_read_every_session_past_batch_gets_limit(table: str) -> None:
    made = [_session(n, presences=n % 2 == 0) for n in range(101)]  # 100 keys per BatchGet
    found = {s.session_id: s for s in sessions.listeners(sessions.subscribers(SCOPE, 0))}
    assert len(found) == 101
    for item in made:
        assert found[item.session_id] == Listener(
            session_id=item.session_id,
            user_id=int(item.user_id),
            connection_id=item.connection_id,
            domain_name="gw.example.com",
            stage="prod",
            live_from=int(item.live_from),
            presences=item.presences is not False,
        )
    assert found["s0000"].hears("PRESENCE_UPDATE")
    assert not found["s0001"].hears("PRESENCE_UPDATE")
    assert found["s0001"].hears("MESSAGE_CREATE")


def test_a_detached_session_has_no_connection_and_a_gone_one_is_left_out(table: str) -> None:
    kept, detached, gone = (_session(n) for n in range(3))
    assert sessions.detach(int(detached.user_id), detached.session_id, "conn-1", ttl_s=600)
    gone.delete()
    found = {
        s.session_id: s
        for s in sessions.listeners(
            Subscription(int(i.user_id), i.session_id) for i in (kept, detached, gone)
        )
    }
    assert set(found) == {kept.session_id, detached.session_id}
    assert found[kept.session_id].connection_id == "conn-0"
    assert found[detached.session_id].connection_id is None
    assert sessions.listeners([]) == []
