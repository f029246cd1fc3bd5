"""Custom emoji commands: list, create, rename, delete, the image link, and the reaction check.

Creating, renaming and deleting need MANAGE_GUILD_EXPRESSIONS (Discord's MANAGE_EMOJIS bit,
1 << 30); any member may list. Each change emits GUILD_EMOJIS_UPDATE with the guild's whole
list, as Discord does, and records EMOJI_CREATE / UPDATE / DELETE in the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.config import get_settings
from shared.emojis.domain.emoji import Emoji, check_name, decode_image, parse_reaction
from shared.emojis.storage import emojis as emoji_store
from shared.emojis.storage import images
from shared.errors import Invalid, ParleyError
from shared.guilds.access import Access, guild_access
from shared.guilds.domain.permissions import Permission
from shared.guilds.storage import guilds as guild_store
from shared.guilds.storage import roles as role_store
from shared.ids import new_id
from shared.outbox.domain.events import AuditAction, AuditRecord, EventName, GatewayEvent
from shared.outbox.storage import outbox
from shared.table.retry import retry_stale
from shared.table.transaction import Transaction

__all__ = [
    "create_emoji",
    "delete_emoji",
    "image_url",
    "list_emojis",
    "reaction_of",
    "update_emoji",
]

_EMOJI_FIELDS = ("name", "roles")


def _now() -> datetime:
    return datetime.now(UTC)


def _event(guild_id: int, emojis: list[Emoji], actor_id: int, audit: AuditRecord) -> GatewayEvent:
    return GatewayEvent(
        EventName.GUILD_EMOJIS_UPDATE,
        guild_id,
        {"guild_id": str(guild_id), "emojis": [e.as_json() for e in emojis]},
        actor_id=actor_id,
        audit=audit,
    )


def _roles(guild_id: int, role_ids: list[int]) -> tuple[int, ...]:
    """The roles an emoji is limited to: each must be one of the guild's."""
    wanted = set(role_ids)
    missing = wanted - role_store.get_many(guild_id, wanted).keys()
    if missing:
        raise Invalid("Unknown role.", code="unknown_role", errors={"roles": "unknown role"})
    return tuple(sorted(wanted))


def list_emojis(guild_id: int, user_id: int) -> list[dict[str, Any]]:
    guild_access(guild_id, user_id, _now())
    return [e.as_json() for e in emoji_store.list_for_guild(guild_id)]


def create_emoji(
    guild_id: int, actor_id: int, fields: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """A new emoji; its image is stored before the item, so no client sees one without it."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    access.require(Permission.MANAGE_GUILD_EXPRESSIONS)
    name = check_name(fields["name"])
    image = decode_image(fields["image"])
    emoji = Emoji(
        id=new_id(),
        guild_id=guild_id,
        name=name,
        animated=image.animated,
        content_type=image.content_type,
        user_id=actor_id,
        roles=_roles(guild_id, fields.get("roles") or []),
    )
    images.put(emoji.id, image)
    tx = Transaction()
    guild_store.bump_counts(tx, guild_id, emojis=1)
    emoji_store.insert(tx, emoji)
    audit = AuditRecord.of_change(
        AuditAction.EMOJI_CREATE, emoji.id, {}, emoji.as_json(), _EMOJI_FIELDS, reason
    )
    after = [*emoji_store.list_for_guild(guild_id), emoji]
    outbox.emit(tx, _event(guild_id, after, actor_id, audit), now)
    try:
        tx.commit()
    except ParleyError:
        images.delete(emoji.id)  # the 51st, or a deleted guild: its image goes too
        raise
    return emoji.as_json()


def _managed(access: Access, emoji_id: int) -> tuple[Emoji, int]:
    access.require(Permission.MANAGE_GUILD_EXPRESSIONS)
    found = emoji_store.get(access.guild.id, emoji_id)
    if found is None:
        raise emoji_store.unknown_emoji()
    return found


def _others(guild_id: int, emoji_id: int) -> list[Emoji]:
    return [e for e in emoji_store.list_for_guild(guild_id) if e.id != emoji_id]


@retry_stale
def update_emoji(
    guild_id: int, actor_id: int, emoji_id: int, fields: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """Rename an emoji, or change the roles it is limited to."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    before, version = _managed(access, emoji_id)
    after = before
    if "name" in fields:
        after = replace(after, name=check_name(fields["name"]))
    if "roles" in fields:
        after = replace(after, roles=_roles(guild_id, fields["roles"] or []))
    audit = AuditRecord.of_change(
        AuditAction.EMOJI_UPDATE, emoji_id, before.as_json(), after.as_json(), _EMOJI_FIELDS, reason
    )
    if not audit.changes:
        return after.as_json()
    tx = Transaction()
    guild_store.check_live(tx, guild_id)
    emoji_store.replace(tx, after, version)
    emojis = sorted([*_others(guild_id, emoji_id), after], key=lambda e: e.id)
    outbox.emit(tx, _event(guild_id, emojis, actor_id, audit), now)
    tx.commit()
    return after.as_json()


@retry_stale
def delete_emoji(guild_id: int, actor_id: int, emoji_id: int, reason: str | None) -> None:
    """Delete an emoji and its image. Messages keep their ``<:name:id>`` text and reactions
    their ``name:id``; the image link answers 404 from then on."""
    now = _now()
    access = guild_access(guild_id, actor_id, now)
    emoji, version = _managed(access, emoji_id)
    tx = Transaction()
    emoji_store.remove(tx, emoji, version)
    guild_store.bump_counts(tx, guild_id, emojis=-1)
    audit = AuditRecord.of_change(
        AuditAction.EMOJI_DELETE, emoji_id, emoji.as_json(), {}, _EMOJI_FIELDS, reason
    )
    outbox.emit(tx, _event(guild_id, _others(guild_id, emoji_id), actor_id, audit), now)
    tx.commit()
    images.delete(emoji_id)


def image_url(emoji_id: int) -> str:
    """Where the emoji's image is read now (a presigned link; the image may be gone)."""
    return images.download_url(emoji_id, get_settings().attachment_url_ttl_s)


def reaction_of(guild_id: int | None, text: str, *, adding: bool) -> str | None:
    """The stored form (``name:id``) of a reaction naming a custom emoji, or None when
    ``text`` names none. Adding one needs an emoji of this guild (400 ``unknown_emoji``
    otherwise); removing takes the name as given when the emoji is gone."""
    parsed = parse_reaction(text)
    if parsed is None:
        return None
    name, emoji_id = parsed
    found = None if guild_id is None else emoji_store.get(guild_id, emoji_id)
    if found is not None:
        return found[0].reaction
    if adding:
        raise Invalid("Unknown emoji.", code="unknown_emoji", errors={"emoji": "unknown emoji"})
    return f"{name}:{emoji_id}"
