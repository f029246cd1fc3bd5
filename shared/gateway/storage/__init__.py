"""shared.gateway.storage."""
