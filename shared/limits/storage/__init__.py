"""shared.limits.storage."""
