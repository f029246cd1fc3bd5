"""shared.voice."""
