"""What the guild stream consumer does with one table stream record.

- an outbox event (INSERT) with an audit record → an audit log entry;
- an outbox CHANNEL_DELETE of a category (INSERT) → its children lose their parent;
- a purge job item (INSERT or MODIFY) → one bounded round of the purge;
- a media node's speaking report (INSERT or MODIFY) → the member's voice state (docs/voice.md);
- a message item with attachments removed (deleted, or purged with its channel or guild:
  REMOVE) → its files deleted from the attachments bucket (docs/attachments.md).

Everything here is idempotent, because Lambda's event source mapping delivers at least once.
"""

from __future__ import annotations

from typing import Any

from shared.guilds.audit_log import record_event
from shared.guilds.channels import orphan_children
from shared.guilds.domain.channel import ChannelType
from shared.guilds.storage import purge as purge_store
from shared.messages.attachments import discard
from shared.messages.storage.messages import removed_attachments
from shared.outbox.domain.events import EventName
from shared.outbox.storage.outbox import event_from_image
from shared.voice.states import apply_speaking_report
from shared.voice.storage.speaking_reports import report_from_image

__all__ = ["handle_record"]


def handle_record(record: dict[str, Any]) -> str:
    """Process one stream record (Lambda's DynamoDB event shape); what was done, for logs."""
    name = record.get("eventName")
    if name == "REMOVE":
        removed = removed_attachments((record.get("dynamodb") or {}).get("OldImage") or {})
        if removed is None:
            return "ignored"
        discard(*removed)
        return "attachments deleted"
    image = (record.get("dynamodb") or {}).get("NewImage")
    if name not in ("INSERT", "MODIFY") or not image:
        return "ignored"
    speaking = report_from_image(image)
    if speaking is not None:
        return "speaking" if apply_speaking_report(speaking) else "speaking ignored"
    job = purge_store.job_from_image(image)
    if job is not None:
        return "purge round" if purge_store.run_round(job) else "purge done"
    stored = event_from_image(image) if name == "INSERT" else None
    if stored is None:
        return "ignored"
    done = []
    if record_event(stored):
        done.append("audit")
    event = stored.event
    if (
        event.name is EventName.CHANNEL_DELETE
        and event.guild_id is not None
        and event.data.get("type") == ChannelType.CATEGORY
    ):
        orphan_children(event.guild_id, int(event.data["id"]))
        done.append("orphans")
    return "+".join(done) or "event"
