"""shared.auth.domain."""
