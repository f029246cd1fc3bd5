"""A media node's speaking reports: ``PK=MEDIA_NODE#<node>``, ``SK=SPEAKING#<channel>#<user>``.

The node writes (PutItem) the latest state of a participant under its own leading key — all its
IAM role allows besides its registry item — and the table stream carries it to the guild stream
consumer, which applies it to the member's voice state if the room is that node's
(``shared.voice.states.apply_speaking_report``). Items expire after an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from shared.table.entity import Entity, store_errors
from shared.table.keys import media_node_pk, speaking_report_sk

__all__ = ["SpeakingReport", "report_from_image", "save_report"]

_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class SpeakingReport:
    node_id: str
    guild_id: int
    channel_id: int
    user_id: int
    speaking: bool


class SpeakingReportItem(Entity, discriminator="voice_speaking"):
    node_id = UnicodeAttribute()
    guild_id = NumberAttribute()
    channel_id = NumberAttribute()
    user_id = NumberAttribute()
    speaking = BooleanAttribute()
    reported_at = NumberAttribute()


def save_report(report: SpeakingReport) -> None:
    """The node's write: one PutItem (the latest state wins; the stream keeps their order)."""
    now = datetime.now(UTC)
    with store_errors():
        SpeakingReportItem(
            media_node_pk(report.node_id),
            speaking_report_sk(report.channel_id, report.user_id),
            node_id=report.node_id,
            guild_id=report.guild_id,
            channel_id=report.channel_id,
            user_id=report.user_id,
            speaking=report.speaking,
            reported_at=now.timestamp(),
            expires_at=now + _TTL,
        ).save()


def report_from_image(image: dict[str, Any]) -> SpeakingReport | None:
    """The report a stream record's ``NewImage`` holds; None for any other kind of item."""
    if image.get("type", {}).get("S") != "voice_speaking":
        return None
    item = SpeakingReportItem.from_raw_data(image)
    return SpeakingReport(
        node_id=item.node_id,
        guild_id=int(item.guild_id),
        channel_id=int(item.channel_id),
        user_id=int(item.user_id),
        speaking=bool(item.speaking),
    )
