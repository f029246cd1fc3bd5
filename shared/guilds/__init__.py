"""Guilds: channels, roles, members, bans, invites, the audit log, permissions and purges."""
