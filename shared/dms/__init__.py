"""shared.dms."""
