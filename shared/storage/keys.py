"""Every PK/SK string of the single table is built here and nowhere else.

See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

__all__ = [
    "HEALTH_PK",
    "MEDIA_NODES_PK",
    "connection_pk",
    "connection_sk",
    "email_claim_key",
    "frame_window_key",
    "identity_key",
    "login_key",
    "media_node_sk",
    "oidc_state_key",
    "rate_bucket_key",
    "refresh_family_key",
    "user_key",
    "username_claim_key",
]

#: The item the health check reads: a GetItem proves the table answers.
HEALTH_PK = "HEALTH"


def connection_pk(connection_id: str) -> str:
    """A gateway connection's own item."""
    return f"CONN#{connection_id}"


def connection_sk() -> str:
    """The sort key of a connection's own item."""
    return "CONN"


# ---------------------------------------------------------------- gateway
def log_pk(shard: int) -> str:
    """One gateway log: every event its sessions may receive, in sequence order."""
    return f"GWLOG#{shard}"


LOG_HEAD_SK = "HEAD"
#: How far the fan-out has started delivering a log (decision 14).
LOG_CURSOR_SK = "CURSOR"


def log_sk(position: int) -> str:
    return f"POS#{position:016d}"


def log_position(sk: str) -> int:
    return int(sk.removeprefix("POS#"))


def session_pk(user_id: int) -> str:
    """A user's gateway sessions live under the user (a Query lists them)."""
    return f"USER#{user_id}"


def session_sk(session_id: str) -> str:
    return f"SESSION#{session_id}"


SESSION_SK_PREFIX = "SESSION#"


def live_sessions_gsi1pk(shard: int) -> str:
    """GSI1 partition of the sessions with a live connection on one log shard (the sweeper's)."""
    return f"LIVE#{shard}"


def subscription_pk(scope: str) -> str:
    """Who listens to a scope: one item per (scope, session)."""
    return f"SUB#{scope}"


def subscription_sk(shard: int, session_id: str) -> str:
    return f"{shard}#{session_id}"


def subscription_sk_prefix(shard: int) -> str:
    return f"{shard}#"


# ---------------------------------------------------------------- accounts and auth


def user_key(user_id: int) -> tuple[str, str]:
    """A user's own item (profile, password hash)."""
    return f"USER#{user_id}", "PROFILE"


def username_claim_key(username_folded: str) -> tuple[str, str]:
    """The item that reserves a username, case-insensitively (its value: the user id)."""
    return f"USERNAME#{username_folded}", "USERNAME"


def email_claim_key(email_folded: str) -> tuple[str, str]:
    """The item that reserves an email address, case-insensitively."""
    return f"EMAIL#{email_folded}", "EMAIL"


def identity_key(issuer: str, subject: str) -> tuple[str, str]:
    """An OpenID identity (issuer + sub) linked to a user."""
    return f"IDENTITY#{issuer}#{subject}", "IDENTITY"


def refresh_family_key(family: str) -> tuple[str, str]:
    """A refresh token family: the hash of its current token, its user, revoked or not."""
    return f"REFRESH#{family}", "FAMILY"


def login_key(user_id: int, login: str) -> tuple[str, str]:
    """One login of a user (a refresh token family, by its public id): live or ended.

    Under the user, so that ending every login of a user is one Query.
    """
    return f"USER#{user_id}", f"{LOGIN_SK_PREFIX}{login}"


LOGIN_SK_PREFIX = "LOGIN#"


def oidc_state_key(state: str) -> tuple[str, str]:
    """A pending OpenID login (PKCE verifier, nonce), deleted when the callback uses it."""
    return f"OIDCSTATE#{state}", "STATE"


def frame_window_key(connection_id: str, window: int) -> tuple[str, str]:
    """The frames one gateway connection sent in one window of its frame budget."""
    return f"FRAMES#{connection_id}", f"WINDOW#{window}"


def rate_bucket_key(bucket: str, subject: str) -> tuple[str, str]:
    """One token bucket of the rate limiter: a limit's name and whom it counts."""
    return f"RATE#{bucket}#{subject}", "BUCKET"


# ---------------------------------------------------------------- guilds
# Ids inside sort keys are zero-padded to 20 digits (a 64-bit snowflake's most), so that string
# order is numeric order: pages by `after=<id>` and "newest first" are plain key ranges.


def _sortable(value: int) -> str:
    return f"{value:020d}"


def guild_pk(guild_id: int) -> str:
    """The guild's partition: its own item, channels, roles, members, bans, audit log."""
    return f"GUILD#{guild_id}"


#: The guild's own item (name, owner, counters, the deleted mark).
GUILD_SK = "GUILD"
CHANNEL_SK_PREFIX = "CHANNEL#"
ROLE_SK_PREFIX = "ROLE#"
MEMBER_SK_PREFIX = "MEMBER#"
BAN_SK_PREFIX = "BAN#"
AUDIT_SK_PREFIX = "AUDIT#"


def channel_sk(channel_id: int) -> str:
    return f"{CHANNEL_SK_PREFIX}{_sortable(channel_id)}"


def role_sk(role_id: int) -> str:
    return f"{ROLE_SK_PREFIX}{_sortable(role_id)}"


def member_sk(user_id: int) -> str:
    return f"{MEMBER_SK_PREFIX}{_sortable(user_id)}"


def ban_sk(user_id: int) -> str:
    return f"{BAN_SK_PREFIX}{_sortable(user_id)}"


def audit_sk(entry_id: int) -> str:
    return f"{AUDIT_SK_PREFIX}{_sortable(entry_id)}"


def channel_pk(channel_id: int) -> str:
    """A channel's own partition (its guild reference now; its messages later)."""
    return f"CHANNEL#{channel_id}"


#: The channel partition's item that names the channel's guild (written once, never changed).
CHANNEL_REF_SK = "CHANNEL"


def user_guilds_pk(user_id: int) -> str:
    """GSI1 partition of a user's memberships (the inverted member <-> guild index)."""
    return f"USER#{user_id}"


GUILD_GSI_PREFIX = "GUILD#"


def user_guilds_sk(guild_id: int) -> str:
    """GSI1 sort key of one membership: the guild, in id order."""
    return f"{GUILD_GSI_PREFIX}{_sortable(guild_id)}"


def invite_pk(code: str) -> str:
    return f"INVITE#{code}"


INVITE_SK = "INVITE"
INVITE_GSI_PREFIX = "INVITE#"


def guild_invites_pk(guild_id: int) -> str:
    """GSI1 partition of a guild's invites (found again when the guild is deleted)."""
    return f"GUILDINVITES#{guild_id}"


def guild_invites_sk(code: str) -> str:
    return f"{INVITE_GSI_PREFIX}{code}"


def guild_events_pk(guild_id: int) -> str:
    """The outbox of a guild: one short-lived item per gateway event (see data-model.md)."""
    return f"GUILDEVENTS#{guild_id}"


def event_sk(event_id: int) -> str:
    return f"EVENT#{_sortable(event_id)}"


def purge_pk(job: str) -> str:
    """A background purge job (a deleted guild's or channel's items, in batches)."""
    return f"PURGE#{job}"


PURGE_SK = "PURGE"


__all__ += [
    "AUDIT_SK_PREFIX",
    "BAN_SK_PREFIX",
    "CHANNEL_REF_SK",
    "CHANNEL_SK_PREFIX",
    "GUILD_GSI_PREFIX",
    "GUILD_SK",
    "INVITE_GSI_PREFIX",
    "INVITE_SK",
    "MEMBER_SK_PREFIX",
    "PURGE_SK",
    "ROLE_SK_PREFIX",
    "audit_sk",
    "ban_sk",
    "channel_pk",
    "channel_sk",
    "event_sk",
    "guild_events_pk",
    "guild_invites_pk",
    "guild_invites_sk",
    "guild_pk",
    "invite_pk",
    "member_sk",
    "purge_pk",
    "role_sk",
    "user_guilds_pk",
    "user_guilds_sk",
]
# ---------------------------------------------------------------- media node registry
#: The partition that holds one item per live media node: a Query lists them, never a Scan.
MEDIA_NODES_PK = "MEDIA_NODES"


def media_node_sk(node_id: str) -> str:
    """A media node's registry item (heartbeat: endpoint, region, capacity, load; TTL)."""
    return f"NODE#{node_id}"


def user_events_pk(user_id: int) -> str:
    """The outbox of events that concern one user and no guild (USER_UPDATE)."""
    return f"USEREVENTS#{user_id}"


# ---------------------------------------------------------------- messages
MESSAGE_SK_PREFIX = "MSG#"
REACTION_SK_PREFIX = "REACT#"


def message_sk(message_id: int) -> str:
    """A message in its channel's partition (``channel_pk``): newest first is a reverse Query."""
    return f"{MESSAGE_SK_PREFIX}{message_id:020d}"


def reaction_sk(message_id: int, emoji: str, user_id: int) -> str:
    """One user's reaction: makes reacting idempotent and answers "me"."""
    return f"{REACTION_SK_PREFIX}{message_id:020d}#{emoji}#{user_id:020d}"


def reactions_of_sk_prefix(message_id: int) -> str:
    return f"{REACTION_SK_PREFIX}{message_id:020d}#"


#: The channel's pinned-message counter (at most 50 pins).
PINS_SK = "PINS"


# ---------------------------------------------------------------- attachments
def upload_sk(attachment_id: int) -> str:
    """A pending upload in its channel's partition (``channel_pk``); a message that uses it
    deletes it in its own transaction, and TTL removes the ones never used."""
    return f"UPLOAD#{attachment_id:020d}"


# ---------------------------------------------------------------- presence
def presence_key(user_id: int) -> tuple[str, str]:
    """A user's presence: the chosen status and the connections carrying a session (one item)."""
    return f"USER#{user_id}", "PRESENCE"


__all__ += ["presence_key"]
# ---------------------------------------------------------------- voice (docs/voice.md)
#: A member's voice state lives in the guild's partition: one item per user per guild.
VOICE_SK_PREFIX = "VOICE#"


def voice_state_sk(user_id: int) -> str:
    return f"{VOICE_SK_PREFIX}{_sortable(user_id)}"


def voice_room_pk(channel_id: int) -> str:
    """A voice channel's room: which media node holds it, and how many are in it."""
    return f"VOICEROOM#{channel_id}"


VOICE_ROOM_SK = "ROOM"
#: GSI1 partition listing every room (the voice watcher's one Query; never a request path).
VOICE_ROOMS_GSI1PK = "VOICEROOMS"


def voice_room_gsi1sk(node_id: str, channel_id: int) -> str:
    """GSI1 sort key of a room: by node first, so one node's rooms are one key range."""
    return f"{node_id}#{_sortable(channel_id)}"


__all__ += [
    "VOICE_ROOMS_GSI1PK",
    "VOICE_ROOM_SK",
    "VOICE_SK_PREFIX",
    "voice_room_gsi1sk",
    "voice_room_pk",
    "voice_state_sk",
]


def media_node_pk(node_id: str) -> str:
    """A media node's own partition: what it reports (speaking), under its own leading key, so
    a node's IAM role can write nothing but its registry item and this partition."""
    return f"MEDIA_NODE#{node_id}"


def speaking_report_sk(channel_id: int, user_id: int) -> str:
    """The latest speaking report of one participant of one room (overwritten on each change)."""
    return f"SPEAKING#{_sortable(channel_id)}#{_sortable(user_id)}"


__all__ += ["media_node_pk", "speaking_report_sk"]
# ---------------------------------------------------------------- DMs and read state
#: A DM channel's own item, in the channel's partition (``channel_pk``) beside its messages.
DM_SK = "DM"
#: A channel's state item in its partition: the last message id and the broad-mention marks.
CHANNEL_STATE_SK = "STATE"
USER_DM_SK_PREFIX = "DM#"
READ_STATE_SK_PREFIX = "READ#"


def dm_pair_key(user_a: int, user_b: int) -> tuple[str, str]:
    """The item that gives a pair of users their one DM channel (order-free: low id first)."""
    low, high = sorted((user_a, user_b))
    return f"DMPAIR#{_sortable(low)}#{_sortable(high)}", "DMPAIR"


def user_dm_sk(channel_id: int) -> str:
    """One of a user's DMs, under ``USER#u`` (a Query lists them)."""
    return f"{USER_DM_SK_PREFIX}{_sortable(channel_id)}"


def read_state_sk(channel_id: int) -> str:
    """A user's read marker and unread mentions in one channel, under ``USER#u``."""
    return f"{READ_STATE_SK_PREFIX}{_sortable(channel_id)}"


def dm_events_pk(channel_id: int) -> str:
    """The outbox of a DM: its CHANNEL_CREATE and every event of its messages, in one partition
    so that the stream carries them in the order they were written."""
    return f"DMEVENTS#{channel_id}"


def user_items_pk(user_id: int) -> str:
    """The partition of a user's own items (profile, sessions, DMs, read states)."""
    return f"USER#{user_id}"


def role_mention_sk(role_id: int) -> str:
    """In a channel's partition: the latest message that mentioned a role there."""
    return f"ROLEMENTION#{_sortable(role_id)}"
