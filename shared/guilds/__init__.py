"""shared.guilds."""
