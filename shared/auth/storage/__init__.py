"""shared.auth.storage."""
