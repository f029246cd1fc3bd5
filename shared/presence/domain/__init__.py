"""shared.presence.domain."""
