"""shared.presence."""
