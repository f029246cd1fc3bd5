"""shared.guilds.domain."""
