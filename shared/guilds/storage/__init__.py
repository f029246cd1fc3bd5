"""shared.guilds.storage."""
