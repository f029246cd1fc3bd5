"""An outbox item survives the stream: what the stream image holds is the event that was
emitted, and nothing else in the table is mistaken for one."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.guilds.storage import purge
from shared.outbox.domain.events import AuditAction, AuditRecord, Change, EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.transaction import Transaction

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def image_of(event: GatewayEvent) -> tuple[int, dict]:
    tx = Transaction()
    event_id = outbox.emit(tx, event, NOW)
    (op,) = tx._ops
    captured: dict = {}

    class Capture:
        def save(self, item: outbox.EventRecord, condition: object = None) -> None:
            captured.update(item.serialize())

    op.apply(Capture())
    return event_id, captured


def test_an_event_round_trips_through_its_stream_image() -> None:
    event = GatewayEvent(
        EventName.CHANNEL_UPDATE,
        guild_id=11,
        data={"id": "22", "name": "général"},
        actor_id=33,
        channel_id=22,
        audit=AuditRecord(AuditAction.CHANNEL_UPDATE, 22, (Change("name", "a", "général"),), "why"),
    )
    event_id, image = image_of(event)
    assert image["type"] == {"S": "event"}
    assert image["PK"]["S"] == "GUILDEVENTS#11"
    assert int(image["expires_at"]["N"]) > NOW.timestamp()
    stored = outbox.event_from_image(image)
    assert stored is not None
    assert stored.id == event_id
    assert stored.event == event


def test_other_items_are_not_events_or_jobs() -> None:
    assert outbox.event_from_image({"PK": {"S": "X"}, "type": {"S": "member"}}) is None
    assert outbox.event_from_image({"PK": {"S": "X"}}) is None
    assert purge.job_from_image({"PK": {"S": "X"}, "type": {"S": "event"}}) is None


def test_a_purge_job_round_trips() -> None:
    job = purge.PurgeJob("guild-1", ["GUILD#1"], ["GUILDINVITES#1"], round=3, deleted=250)
    assert purge.job_from_image(job.item()) == job
