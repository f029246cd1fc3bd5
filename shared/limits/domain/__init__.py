"""shared.limits.domain."""
