"""shared.gateway.domain."""
