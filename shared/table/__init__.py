"""shared.table."""
