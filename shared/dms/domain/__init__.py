"""shared.dms.domain."""
