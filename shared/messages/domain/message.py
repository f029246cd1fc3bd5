"""Messages: what may be sent, what it mentions, and how a message looks to clients.

Pure rules: the content limit, mention parsing (users ``<@id>``, roles ``<@&id>``, ``@everyone``
and ``@here``), reactions' emoji, and the CONTRACT message object. Storage and permissions
are applied by the messages service; nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from shared.emojis.domain.emoji import parse_reaction
from shared.errors import Invalid
from shared.ids import id_timestamp

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_CONTENT",
    "MAX_EMOJI_LENGTH",
    "MAX_MENTIONS",
    "SUPPRESS_EMBEDS",
    "Attachment",
    "Mentions",
    "Message",
    "check_content",
    "check_emoji",
    "check_flags",
    "parse_mentions",
    "reaction_emoji",
]

MAX_CONTENT: Final = 2000
MAX_ATTACHMENTS: Final = 10
MAX_MENTIONS: Final = 50
MAX_EMOJI_LENGTH: Final = 32
MAX_REACTIONS_PER_MESSAGE: Final = 20
#: Discord's message flag that hides a message's link previews (its author sets it by PATCH).
SUPPRESS_EMBEDS: Final = 1 << 2
#: The flags a message's author may set.
EDITABLE_FLAGS: Final = SUPPRESS_EMBEDS

_USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
_ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")
_EVERYONE = re.compile(r"(?<![\w<])@(everyone|here)\b")


@dataclass(frozen=True, slots=True)
class Mentions:
    users: tuple[int, ...] = ()
    roles: tuple[int, ...] = ()
    everyone: bool = False


def check_content(content: str, *, has_attachments: bool) -> str:
    """The content as stored; :class:`Invalid` when empty (without attachments) or too long."""
    if len(content) > MAX_CONTENT:
        raise Invalid(
            f"A message is at most {MAX_CONTENT} characters.",
            code="content_too_long",
            errors={"content": f"{len(content)} > {MAX_CONTENT}"},
        )
    if not content.strip() and not has_attachments:
        raise Invalid("A message needs content or an attachment.", code="empty_message")
    return content


def parse_mentions(content: str, *, may_mention_everyone: bool) -> Mentions:
    """Who a message mentions. ``@everyone`` counts only with MENTION_EVERYONE."""
    users = tuple(dict.fromkeys(int(m) for m in _USER_MENTION.findall(content)))
    roles = tuple(dict.fromkeys(int(m) for m in _ROLE_MENTION.findall(content)))
    if len(users) + len(roles) > MAX_MENTIONS:
        raise Invalid(f"A message mentions at most {MAX_MENTIONS}.", code="too_many_mentions")
    everyone = may_mention_everyone and _EVERYONE.search(content) is not None
    return Mentions(users=users, roles=roles, everyone=everyone)


def check_flags(flags: int) -> int:
    """Flags an author may set on their message: :data:`SUPPRESS_EMBEDS` alone for now."""
    if flags & ~EDITABLE_FLAGS:
        raise Invalid(
            "Only SUPPRESS_EMBEDS (4) may be set on a message.",
            code="invalid_flags",
            errors={"flags": f"{flags} has flags other than {EDITABLE_FLAGS}"},
        )
    return flags


def check_emoji(text: str) -> str:
    """A reaction's emoji: exactly one unicode emoji (a ZWJ sequence or flag counts as one)."""
    # Imported here, by reactions alone: its tables are no cost of every cold start.
    import emoji

    if not text or len(text) > MAX_EMOJI_LENGTH or not emoji.is_emoji(text):
        raise Invalid("A reaction is one unicode emoji.", code="invalid_emoji")
    return text


def reaction_emoji(key: str) -> dict[str, Any]:
    """A reaction's emoji object: ``{"id", "name"}`` for a custom one (stored as
    ``name:id``, so it keeps its name after the emoji is deleted), ``id`` null otherwise."""
    custom = parse_reaction(key)
    if custom is None:
        return {"id": None, "name": key}
    return {"id": str(custom[1]), "name": custom[0]}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries. ``key`` is its object in the attachments bucket (never shown);
    ``url`` a download link signed when the message is read, since signed links expire."""

    id: int
    filename: str
    content_type: str
    size: int
    key: str = ""
    url: str = ""

    def stored(self) -> dict[str, Any]:
        """What the message item keeps: everything but the (expiring) url."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "key": self.key,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "url": self.url,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    mentions: Mentions = field(default_factory=Mentions)
    reply_to: int | None = None
    attachments: Sequence[Attachment] = ()
    edited_at: datetime | None = None
    pinned: bool = False
    reactions: Mapping[str, int] = field(default_factory=dict)
    # Link previews (Discord's embed objects), filled in after sending by the unfurler.
    embeds: Sequence[Mapping[str, Any]] = ()
    flags: int = 0

    @property
    def timestamp(self) -> datetime:
        return id_timestamp(self.id)

    def as_json(
        self,
        *,
        author: Mapping[str, Any] | None = None,
        reacted: Iterable[str] = (),
        referenced: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The CONTRACT message object; ``reacted`` are the viewer's own reactions ("me")."""
        mine = set(reacted)
        body: dict[str, Any] = {
            "id": str(self.id),
            "type": 19 if self.reply_to else 0,
            "channel_id": str(self.channel_id),
            "author": dict(author) if author else {"id": str(self.author_id)},
            "content": self.content,
            "timestamp": _iso(self.timestamp),
            "edited_timestamp": _iso(self.edited_at),
            "mentions": [{"id": str(u)} for u in self.mentions.users],
            "mention_roles": [str(r) for r in self.mentions.roles],
            "mention_everyone": self.mentions.everyone,
            "attachments": [a.as_json() for a in self.attachments],
            "embeds": [dict(e) for e in self.embeds],
            "flags": self.flags,
            "pinned": self.pinned,
            "reactions": [
                {"emoji": reaction_emoji(emoji), "count": count, "me": emoji in mine}
                for emoji, count in self.reactions.items()
                if count > 0
            ],
        }
        if self.guild_id is not None:
            body["guild_id"] = str(self.guild_id)
        if self.reply_to is not None:
            body["message_reference"] = {
                "message_id": str(self.reply_to),
                "channel_id": str(self.channel_id),
            }
            body["referenced_message"] = dict(referenced) if referenced else None
        return body
