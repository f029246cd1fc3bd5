"""shared.outbox.storage."""
