"""Every PK/SK string of the single table is built here and nowhere else, and parsed here too.

One section per kind of partition key, each with the sort keys that live under it. Every key has
exactly one builder; a reader that needs a value back out of a key calls the parse helper of its
section. The strings are stored data: ``tests/unit/test_storage_keys.py`` pins each one.
See ``docs/data-model.md`` for the access pattern each key serves.
"""

from __future__ import annotations

__all__ = [
    "AUDIT_SK_PREFIX",
    "BAN_SK_PREFIX",
    "CHANNEL_REF_SK",
    "CHANNEL_SK_PREFIX",
    "CHANNEL_STATE_SK",
    "DM_SK",
    "EMOJI_SK_PREFIX",
    "GUILD_GSI_PREFIX",
    "GUILD_SETTINGS_SK_PREFIX",
    "GUILD_SK",
    "HEALTH_PK",
    "INVITE_GSI_PREFIX",
    "INVITE_SK",
    "LOGIN_SK_PREFIX",
    "LOG_CURSOR_SK",
    "LOG_HEAD_SK",
    "LOG_POSITION_SK_PREFIX",
    "MEDIA_NODES_PK",
    "MEMBER_NAME_SK_PREFIX",
    "MEMBER_SK_PREFIX",
    "MESSAGE_SK_PREFIX",
    "PINS_SK",
    "PURGE_SK",
    "REACTION_SK_PREFIX",
    "READ_STATE_SK_PREFIX",
    "ROLE_SK_PREFIX",
    "SESSION_SK_PREFIX",
    "USER_DM_SK_PREFIX",
    "VOICE_ROOMS_GSI1PK",
    "VOICE_ROOM_SK",
    "VOICE_SK_PREFIX",
    "audit_sk",
    "ban_sk",
    "channel_pk",
    "channel_sk",
    "connection_pk",
    "connection_sk",
    "dm_events_pk",
    "dm_pair_key",
    "email_claim_key",
    "emoji_sk",
    "event_sk",
    "frame_window_key",
    "guild_events_pk",
    "guild_invites_pk",
    "guild_invites_sk",
    "guild_pk",
    "guild_settings_sk",
    "identity_key",
    "invite_pk",
    "is_log_entry",
    "live_sessions_gsi1pk",
    "log_pk",
    "log_position",
    "log_shard",
    "log_sk",
    "login_key",
    "login_of_sk",
    "media_node_pk",
    "media_node_sk",
    "member_name_prefix",
    "member_name_sk",
    "member_sk",
    "message_sk",
    "oidc_state_key",
    "presence_key",
    "preview_key",
    "purge_pk",
    "rate_bucket_key",
    "reaction_sk",
    "reactions_of_sk_prefix",
    "read_state_sk",
    "refresh_family_key",
    "role_mention_sk",
    "role_sk",
    "session_sk",
    "speaking_report_sk",
    "subscription_pk",
    "subscription_sk",
    "subscription_sk_prefix",
    "upload_sk",
    "user_dm_sk",
    "user_events_pk",
    "user_guilds_sk",
    "user_key",
    "user_pk",
    "username_claim_key",
    "voice_room_gsi1sk",
    "voice_room_pk",
    "voice_state_sk",
]


# Ids inside sort keys are zero-padded to 20 digits (a 64-bit snowflake's most), so that string
# order is numeric order: pages by `after=<id>` and "newest first" are plain key ranges.
def _sortable(value: int) -> str:
    return f"{value:020d}"


# ---------------------------------------------------------------- HEALTH
#: The item the health check reads: a GetItem proves the table answers.
HEALTH_PK = "HEALTH"


# ---------------------------------------------------------------- USER#<user>
# A user's own items: profile, gateway sessions, logins, presence, DMs, read states; and, in
# GSI1, the user's memberships (the inverted member <-> guild index).
def user_pk(user_id: int) -> str:
    """The partition of a user's own items, and the GSI1 partition of the user's memberships."""
    return f"USER#{user_id}"


def user_key(user_id: int) -> tuple[str, str]:
    """A user's own item (profile, password hash)."""
    return user_pk(user_id), "PROFILE"


SESSION_SK_PREFIX = "SESSION#"


def session_sk(session_id: str) -> str:
    """One gateway session of the user (a Query under the user lists them)."""
    return f"{SESSION_SK_PREFIX}{session_id}"


LOGIN_SK_PREFIX = "LOGIN#"


def login_key(user_id: int, login: str) -> tuple[str, str]:
    """One login of a user (a refresh token family, by its public id): live or ended.

    Under the user, so that ending every login of a user is one Query.
    """
    return user_pk(user_id), f"{LOGIN_SK_PREFIX}{login}"


def login_of_sk(sk: str) -> str:
    """The login's public id in a ``login_key`` sort key."""
    return sk.removeprefix(LOGIN_SK_PREFIX)


def presence_key(user_id: int) -> tuple[str, str]:
    """A user's presence: the chosen status and the connections carrying a session (one item)."""
    return user_pk(user_id), "PRESENCE"


USER_DM_SK_PREFIX = "DM#"


def user_dm_sk(channel_id: int) -> str:
    """One of a user's DMs, under ``USER#u`` (a Query lists them)."""
    return f"{USER_DM_SK_PREFIX}{_sortable(channel_id)}"


READ_STATE_SK_PREFIX = "READ#"


def read_state_sk(channel_id: int) -> str:
    """A user's read marker and unread mentions in one channel, under ``USER#u``."""
    return f"{READ_STATE_SK_PREFIX}{_sortable(channel_id)}"


GUILD_SETTINGS_SK_PREFIX = "NOTIFY#"


def guild_settings_sk(guild_id: int) -> str:
    """A user's notification settings of one guild (0: of their DMs), under ``USER#u``."""
    return f"{GUILD_SETTINGS_SK_PREFIX}{_sortable(guild_id)}"


GUILD_GSI_PREFIX = "GUILD#"


def user_guilds_sk(guild_id: int) -> str:
    """GSI1 sort key of one membership (GSI1 partition ``user_pk``): the guild, in id order."""
    return f"{GUILD_GSI_PREFIX}{_sortable(guild_id)}"


# ---------------------------------------------------------------- unique claims and auth
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


def oidc_state_key(state: str) -> tuple[str, str]:
    """A pending OpenID login (PKCE verifier, nonce), deleted when the callback uses it."""
    return f"OIDCSTATE#{state}", "STATE"


def preview_key(url_digest: str) -> tuple[str, str]:
    """A URL's cached link preview (or its failure), by the SHA-256 of the URL."""
    return f"PREVIEW#{url_digest}", "PREVIEW"


def rate_bucket_key(bucket: str, subject: str) -> tuple[str, str]:
    """One token bucket of the rate limiter: a limit's name and whom it counts."""
    return f"RATE#{bucket}#{subject}", "BUCKET"


# ---------------------------------------------------------------- CONN#<conn>, FRAMES#<conn>
def connection_pk(connection_id: str) -> str:
    """A gateway connection's own item."""
    return f"CONN#{connection_id}"


def connection_sk() -> str:
    """The sort key of a connection's own item."""
    return "CONN"


def frame_window_key(connection_id: str, window: int) -> tuple[str, str]:
    """The frames one gateway connection sent in one window of its frame budget."""
    return f"FRAMES#{connection_id}", f"WINDOW#{window}"


# ---------------------------------------------------------------- GWLOG#<shard>: the gateway log
_LOG_PK_PREFIX = "GWLOG#"


def log_pk(shard: int) -> str:
    """One gateway log: every event its sessions may receive, in sequence order."""
    return f"{_LOG_PK_PREFIX}{shard}"


def log_shard(pk: str) -> int:
    """The shard of a ``log_pk``."""
    return int(pk.removeprefix(_LOG_PK_PREFIX))


LOG_HEAD_SK = "HEAD"
#: How far the fan-out has started delivering a log (decision 14).
LOG_CURSOR_SK = "CURSOR"
LOG_POSITION_SK_PREFIX = "POS#"


def log_sk(position: int) -> str:
    """One entry of a log, by its position."""
    return f"{LOG_POSITION_SK_PREFIX}{position:016d}"


def log_position(sk: str) -> int:
    """The position of a ``log_sk``."""
    return int(sk.removeprefix(LOG_POSITION_SK_PREFIX))


def is_log_entry(pk: str, sk: str) -> bool:
    """Whether a key is a gateway log entry's (``log_pk`` + ``log_sk``), e.g. in a stream record."""
    return pk.startswith(_LOG_PK_PREFIX) and sk.startswith(LOG_POSITION_SK_PREFIX)


# ---------------------------------------------------------------- LIVE#<shard> (GSI1)
def live_sessions_gsi1pk(shard: int) -> str:
    """GSI1 partition of the sessions with a live connection on one log shard (the sweeper's)."""
    return f"LIVE#{shard}"


# ---------------------------------------------------------------- SUB#<scope>
def subscription_pk(scope: str) -> str:
    """Who listens to a scope: one item per (scope, session)."""
    return f"SUB#{scope}"


def subscription_sk(shard: int, session_id: str) -> str:
    """One session listening to the scope, grouped by the session's log shard."""
    return f"{subscription_sk_prefix(shard)}{session_id}"


def subscription_sk_prefix(shard: int) -> str:
    """The sort-key range of one shard's subscribers."""
    return f"{shard}#"


# ---------------------------------------------------------------- GUILD#<guild>
def guild_pk(guild_id: int) -> str:
    """The guild's partition: its own item, channels, roles, members, bans, audit log, voice."""
    return f"GUILD#{guild_id}"


#: The guild's own item (name, owner, counters, the deleted mark).
GUILD_SK = "GUILD"
CHANNEL_SK_PREFIX = "CHANNEL#"
ROLE_SK_PREFIX = "ROLE#"
MEMBER_SK_PREFIX = "MEMBER#"
#: The member name index: one item per member per distinct folded name (username, display
#: name, nick), so that a name prefix is one Query.
MEMBER_NAME_SK_PREFIX = "MEMBERNAME#"
BAN_SK_PREFIX = "BAN#"
AUDIT_SK_PREFIX = "AUDIT#"
EMOJI_SK_PREFIX = "EMOJI#"
#: A member's voice state: one item per user per guild.
VOICE_SK_PREFIX = "VOICE#"


def channel_sk(channel_id: int) -> str:
    """A channel of the guild."""
    return f"{CHANNEL_SK_PREFIX}{_sortable(channel_id)}"


def emoji_sk(emoji_id: int) -> str:
    """A custom emoji of the guild."""
    return f"{EMOJI_SK_PREFIX}{_sortable(emoji_id)}"


def role_sk(role_id: int) -> str:
    """A role of the guild."""
    return f"{ROLE_SK_PREFIX}{_sortable(role_id)}"


def member_sk(user_id: int) -> str:
    """A member of the guild."""
    return f"{MEMBER_SK_PREFIX}{_sortable(user_id)}"


def member_name_prefix(folded: str) -> str:
    """The start of every name index key whose name begins with ``folded``."""
    return f"{MEMBER_NAME_SK_PREFIX}{folded}"


def member_name_sk(folded: str, user_id: int) -> str:
    """A member's entry in the name index under one of their folded names."""
    return f"{member_name_prefix(folded)}#{_sortable(user_id)}"


def ban_sk(user_id: int) -> str:
    """A ban in the guild."""
    return f"{BAN_SK_PREFIX}{_sortable(user_id)}"


def audit_sk(entry_id: int) -> str:
    """An audit log entry of the guild."""
    return f"{AUDIT_SK_PREFIX}{_sortable(entry_id)}"


def voice_state_sk(user_id: int) -> str:
    """A member's voice state in the guild."""
    return f"{VOICE_SK_PREFIX}{_sortable(user_id)}"


# ---------------------------------------------------------------- CHANNEL#<channel>
def channel_pk(channel_id: int) -> str:
    """A channel's own partition: its guild reference or DM item, state, messages, uploads."""
    return f"CHANNEL#{channel_id}"


#: The channel partition's item that names the channel's guild (written once, never changed).
CHANNEL_REF_SK = "CHANNEL"
#: A DM channel's own item, beside its messages.
DM_SK = "DM"
#: A channel's state item: the last message id and the broad-mention marks.
CHANNEL_STATE_SK = "STATE"
#: The channel's pinned-message counter (at most 50 pins).
PINS_SK = "PINS"
MESSAGE_SK_PREFIX = "MSG#"
REACTION_SK_PREFIX = "REACT#"


def message_sk(message_id: int) -> str:
    """A message in its channel's partition: newest first is a reverse Query."""
    return f"{MESSAGE_SK_PREFIX}{_sortable(message_id)}"


def reaction_sk(message_id: int, emoji: str, user_id: int) -> str:
    """One user's reaction: makes reacting idempotent and answers "me"."""
    return f"{reactions_of_sk_prefix(message_id)}{emoji}#{_sortable(user_id)}"


def reactions_of_sk_prefix(message_id: int) -> str:
    """The sort-key range of one message's reactions."""
    return f"{REACTION_SK_PREFIX}{_sortable(message_id)}#"


def upload_sk(attachment_id: int) -> str:
    """A pending upload in its channel's partition; a message that uses it deletes it in its own
    transaction, and TTL removes the ones never used."""
    return f"UPLOAD#{_sortable(attachment_id)}"


def role_mention_sk(role_id: int) -> str:
    """The latest message that mentioned a role in the channel."""
    return f"ROLEMENTION#{_sortable(role_id)}"


# ---------------------------------------------------------------- DMPAIR#<low>#<high>
def dm_pair_key(user_a: int, user_b: int) -> tuple[str, str]:
    """The item that gives a pair of users their one DM channel (order-free: low id first)."""
    low, high = sorted((user_a, user_b))
    return f"DMPAIR#{_sortable(low)}#{_sortable(high)}", "DMPAIR"


# ---------------------------------------------------------------- INVITE#, GUILDINVITES# (GSI1)
def invite_pk(code: str) -> str:
    """An invite's own partition."""
    return f"INVITE#{code}"


INVITE_SK = "INVITE"
INVITE_GSI_PREFIX = "INVITE#"


def guild_invites_pk(guild_id: int) -> str:
    """GSI1 partition of a guild's invites (found again when the guild is deleted)."""
    return f"GUILDINVITES#{guild_id}"


def guild_invites_sk(code: str) -> str:
    """GSI1 sort key of one of the guild's invites."""
    return f"{INVITE_GSI_PREFIX}{code}"


# ------------------------------------------------ outboxes: GUILDEVENTS#, USEREVENTS#, DMEVENTS#
def guild_events_pk(guild_id: int) -> str:
    """The outbox of a guild: one short-lived item per gateway event (see data-model.md)."""
    return f"GUILDEVENTS#{guild_id}"


def user_events_pk(user_id: int) -> str:
    """The outbox of events that concern one user and no guild (USER_UPDATE)."""
    return f"USEREVENTS#{user_id}"


def dm_events_pk(channel_id: int) -> str:
    """The outbox of a DM: its CHANNEL_CREATE and every event of its messages, in one partition
    so that the stream carries them in the order they were written."""
    return f"DMEVENTS#{channel_id}"


def event_sk(event_id: int) -> str:
    """One event in any outbox."""
    return f"EVENT#{_sortable(event_id)}"


# ---------------------------------------------------------------- PURGE#<job>
def purge_pk(job: str) -> str:
    """A background purge job (a deleted guild's or channel's items, in batches)."""
    return f"PURGE#{job}"


PURGE_SK = "PURGE"


# ---------------------------------------------------------------- MEDIA_NODES, MEDIA_NODE#<node>
#: The partition that holds one item per live media node: a Query lists them, never a Scan.
MEDIA_NODES_PK = "MEDIA_NODES"


def media_node_sk(node_id: str) -> str:
    """A media node's registry item (heartbeat: endpoint, region, capacity, load; TTL)."""
    return f"NODE#{node_id}"


def media_node_pk(node_id: str) -> str:
    """A media node's own partition: what it reports (speaking), under its own leading key, so
    a node's IAM role can write nothing but its registry item and this partition."""
    return f"MEDIA_NODE#{node_id}"


def speaking_report_sk(channel_id: int, user_id: int) -> str:
    """The latest speaking report of one participant of one room (overwritten on each change)."""
    return f"SPEAKING#{_sortable(channel_id)}#{_sortable(user_id)}"


# ---------------------------------------------------------------- VOICEROOM#, VOICEROOMS (GSI1)
def voice_room_pk(channel_id: int) -> str:
    """A voice channel's room: which media node holds it, and how many are in it."""
    return f"VOICEROOM#{channel_id}"


VOICE_ROOM_SK = "ROOM"
#: GSI1 partition listing every room (the voice watcher's one Query; never a request path).
VOICE_ROOMS_GSI1PK = "VOICEROOMS"


def voice_room_gsi1sk(node_id: str, channel_id: int) -> str:
    """GSI1 sort key of a room: by node first, so one node's rooms are one key range."""
    return f"{node_id}#{_sortable(channel_id)}"
