"""shared.dms.storage."""
