"""Every size and count limit of guilds, channels, roles, members and invites, in one place.

Request models and domain values both read these, so the edge (n allowed, n+1 refused) is the
same wherever it is checked. Values follow Discord's where Discord documents one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

GUILD_NAME_MIN: Final = 2
GUILD_NAME_MAX: Final = 100
GUILD_DESCRIPTION_MAX: Final = 1000

CHANNEL_NAME_MAX: Final = 100
CHANNEL_TOPIC_MAX: Final = 1024
#: Channels of every type in one guild (Discord: 500).
MAX_CHANNELS: Final = 500
#: Permission overwrites on one channel (bounded so that a channel item stays small).
MAX_OVERWRITES: Final = 100
#: Channels one reorder request may move (each is an update and an event in one transaction).
MAX_REORDER: Final = 50
VOICE_BITRATE_MIN: Final = 8_000
VOICE_BITRATE_MAX: Final = 96_000
VOICE_BITRATE_DEFAULT: Final = 64_000
VOICE_USER_LIMIT_MAX: Final = 99

ROLE_NAME_MAX: Final = 100
ROLE_COLOR_MAX: Final = 0xFFFFFF
#: Roles in one guild, ``@everyone`` included (Discord: 250).
MAX_ROLES: Final = 250

#: Custom emoji in one guild (Discord's count for a guild without boosts).
MAX_EMOJIS: Final = 50

NICK_MAX: Final = 32
#: The longest timeout a moderator may give (Discord: 28 days).
MAX_TIMEOUT: Final = timedelta(days=28)

AUDIT_REASON_MAX: Final = 512
#: How long audit log entries are kept (Discord: 45 days); older ones expire by TTL.
AUDIT_RETENTION: Final = timedelta(days=45)

INVITE_MAX_AGE_MAX: Final = 7 * 24 * 3600
INVITE_MAX_AGE_DEFAULT: Final = 24 * 3600
INVITE_MAX_USES_MAX: Final = 100

#: Page sizes: (default, maximum).
GUILDS_PAGE: Final = (200, 200)
MEMBERS_PAGE: Final = (1, 1000)
MEMBER_SEARCH_PAGE: Final = (10, 100)
#: A search query is a name's start, and no name is longer than a nick or username.
MEMBER_SEARCH_QUERY_MAX: Final = 32
BANS_PAGE: Final = (1000, 1000)
AUDIT_PAGE: Final = (50, 100)
