"""shared.presence.storage."""
